#include <gtest/gtest.h>

#include "redis/endpoint.hpp"

namespace pulseboard::redis {
namespace {

TEST(ParseUrl, HostPortDefaults) {
  auto ep = parse_url("redis://10.0.0.5");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "10.0.0.5");
  EXPECT_EQ(ep->port, 6379);
  EXPECT_EQ(ep->db, 0);
  EXPECT_TRUE(ep->password.empty());
  EXPECT_TRUE(ep->username.empty());
}

TEST(ParseUrl, FullForm) {
  auto ep = parse_url("redis://app:s%40cret@cache.internal:6380/3");
  ASSERT_TRUE(ep);
  EXPECT_EQ(*ep, (Endpoint{"cache.internal", 6380, "s@cret", "app", 3, false, {}}));
}

TEST(ParseUrl, PasswordOnly) {
  auto ep = parse_url("redis://:pw@localhost:7000/");
  ASSERT_TRUE(ep);
  EXPECT_EQ(*ep, (Endpoint{"localhost", 7000, "pw", "", 0, false, {}}));
}

TEST(ParseUrl, Ipv6) {
  auto ep = parse_url("redis://[::1]:6390");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 6390);
}

TEST(ParseUrl, PlainUrlIsNotTls) {
  EXPECT_FALSE(parse_url("redis://cache:6380")->tls);
}

TEST(ParseUrl, RedissSelectsTls) {
  auto ep = parse_url("rediss://app:pw@cache.internal:6380/2");
  ASSERT_TRUE(ep);
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->host, "cache.internal");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->username, "app");
  EXPECT_EQ(ep->password, "pw");
  EXPECT_EQ(ep->db, 2);
}

TEST(ParseUrl, RejectsBadInput) {
  for (const char* bad : {"", "localhost:6379", "http://localhost", "redis+tls://localhost",
                          "redis://", "redis://host:notaport", "redis://host:70000",
                          "redis://host:0", "redis://host/x", "redis://host/1/2", "redis://host/-1",
                          "redis://host?db=1", "rediss://", "rediss://host?ssl_cert_reqs=none"})
    EXPECT_FALSE(parse_url(bad)) << bad;
}

}  // namespace
}  // namespace pulseboard::redis
