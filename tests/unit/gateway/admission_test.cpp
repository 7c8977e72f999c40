#include "gateway/admission.hpp"

#include <gtest/gtest.h>

#include "gateway/client_address.hpp"

namespace pulseboard::gateway {
namespace {

using namespace std::chrono_literals;
using Verdict = Admission::Verdict;
const auto t0 = Admission::Clock::time_point{} + 1h;

TEST(Admission, CapsSessionsPerAddressAndGivesPlacesBack) {
  Admission a({.max_sessions = 100, .max_sessions_per_address = 2, .handshakes_per_second = 0});
  EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::admitted);
  EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::admitted);
  EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::address_session_limit);
  EXPECT_EQ(a.admit("10.0.0.2", t0), Verdict::admitted);  // others unaffected
  a.release("10.0.0.1");
  EXPECT_EQ(a.sessions_of("10.0.0.1"), 1u);
  EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::admitted);
  EXPECT_EQ(a.sessions(), 3u);
}

TEST(Admission, CapsTheWholeGateway) {
  Admission a({.max_sessions = 3, .max_sessions_per_address = 0, .handshakes_per_second = 0});
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(a.admit("10.0.0." + std::to_string(i), t0), Verdict::admitted);
  EXPECT_EQ(a.admit("10.0.0.9", t0), Verdict::session_limit);
  a.release("10.0.0.0");
  EXPECT_EQ(a.admit("10.0.0.9", t0), Verdict::admitted);
}

TEST(Admission, LimitsTheHandshakeRatePerAddress) {
  Admission a({.max_sessions = 0,
               .max_sessions_per_address = 0,
               .handshakes_per_second = 10,
               .handshake_burst = 5});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::admitted);
  EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::handshake_rate);
  EXPECT_EQ(a.admit("10.0.0.2", t0), Verdict::admitted);
  EXPECT_EQ(a.admit("10.0.0.1", t0 + 100ms), Verdict::admitted);
}

TEST(Admission, ForgetsIdleAddressesSoTheMapStaysBounded) {
  Admission a({.max_sessions = 0,
               .max_sessions_per_address = 0,
               .handshakes_per_second = 10,
               .handshake_burst = 1});
  for (std::size_t i = 0; i < 3 * Admission::kSweepAbove; ++i) {
    std::string addr = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                       "." + std::to_string(i % 256);
    ASSERT_EQ(a.admit(addr, t0 + std::chrono::seconds(i)), Verdict::admitted);
    a.release(addr);
  }
  EXPECT_LE(a.tracked_addresses(), Admission::kSweepAbove + 1);
}

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
}  // namespace pulseboard::gateway
