#include "http/client_address.hpp"

#include <gtest/gtest.h>

namespace pulseboard::http {
namespace {

TEST(ClientAddress, UsesTheTcpPeerUnlessItIsATrustedProxy) {
  auto peer = boost::asio::ip::make_address("203.0.113.7");
  auto none = *TrustedProxies::parse("");
  EXPECT_EQ(client_address(peer, "1.2.3.4", none), "203.0.113.7");  // forged header ignored
  auto proxies = *TrustedProxies::parse("127.0.0.1, 10.0.0.0/8");
  auto nginx = boost::asio::ip::make_address("127.0.0.1");
  EXPECT_EQ(client_address(nginx, "198.51.100.1", proxies), "198.51.100.1");
  // A client's own X-Forwarded-For entry is left of what the proxies appended.
  EXPECT_EQ(client_address(nginx, "6.6.6.6, 198.51.100.1, 10.1.2.3", proxies), "198.51.100.1");
  EXPECT_EQ(client_address(nginx, "", proxies), "127.0.0.1");
  EXPECT_EQ(client_address(nginx, "garbage", proxies), "127.0.0.1");
  EXPECT_EQ(
      client_address(boost::asio::ip::make_address("::ffff:127.0.0.1"), "198.51.100.2", proxies),
      "198.51.100.2");
  EXPECT_EQ(client_address(peer, "", proxies), "203.0.113.7");
}

TEST(ClientAddress, RefusesAMalformedProxyList) {
  std::string error;
  EXPECT_FALSE(TrustedProxies::parse("127.0.0.1, nonsense", &error));
  EXPECT_NE(error.find("nonsense"), std::string::npos);
  auto v6 = TrustedProxies::parse("::1, fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(boost::asio::ip::make_address("fd12::1")));
  EXPECT_FALSE(v6->contains(boost::asio::ip::make_address("fe80::1")));
}

}  // namespace
}  // namespace pulseboard::http
