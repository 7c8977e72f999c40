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
  EXPECT_EQ(*ep, (Endpoint{"cache.internal", 6380, "s@cret", "app", 3}));
}

TEST(ParseUrl, PasswordOnly) {
  auto ep = parse_url("redis://:pw@localhost:7000/");
  ASSERT_TRUE(ep);
  EXPECT_EQ(*ep, (Endpoint{"localhost", 7000, "pw", "", 0}));
}

TEST(ParseUrl, Ipv6) {
  auto ep = parse_url("redis://[::1]:6390");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 6390);
}

TEST(ParseUrl, RejectsBadInput) {
  for (const char* bad :
       {"", "localhost:6379", "http://localhost", "rediss://localhost", "redis://",
        "redis://host:notaport", "redis://host:70000", "redis://host:0", "redis://host/x",
        "redis://host/1/2", "redis://host/-1", "redis://host?db=1"})
    EXPECT_FALSE(parse_url(bad)) << bad;
}

}  // namespace
}  // namespace pulseboard::redis
