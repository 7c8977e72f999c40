#include "http/connection_limit.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace pulseboard::http {
namespace {

namespace ip = boost::asio::ip;
using Refusal = ConnectionLimit::Refusal;
const auto a1 = ip::make_address("198.51.100.1");
const auto a2 = ip::make_address("198.51.100.2");

TEST(ConnectionLimit, CapsConnectionsPerAddressAndGivesPlacesBack) {
  auto limit = ConnectionLimit::create(2, 0);
  Refusal why = Refusal::none;
  auto first = limit->admit(a1, 10, why);
  auto second = limit->admit(a1, 11, why);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(limit->admit(a1, 12, why), nullptr);
  EXPECT_EQ(why, Refusal::address_limit);
  auto other = limit->admit(a2, 12, why);  // another address is unaffected
  ASSERT_TRUE(other);
  EXPECT_EQ(limit->open(), 3u);
  first.reset();
  EXPECT_EQ(limit->open_from(a1), 1u);
  EXPECT_TRUE(limit->admit(a1, 13, why));
}

TEST(ConnectionLimit, CountsIpv4MappedPeersAsTheirIpv4Address) {
  auto limit = ConnectionLimit::create(1, 0);
  Refusal why = Refusal::none;
  auto held = limit->admit(ip::make_address("::ffff:198.51.100.1"), 10, why);
  ASSERT_TRUE(held);
  EXPECT_EQ(limit->open_from(a1), 1u);
  EXPECT_EQ(limit->admit(a1, 11, why), nullptr);
}

TEST(ConnectionLimit, RefusesDescriptorsInTheReserve) {
  auto limit = ConnectionLimit::create(0, 100);
  Refusal why = Refusal::none;
  EXPECT_TRUE(limit->admit(a1, 99, why));
  EXPECT_EQ(limit->admit(a2, 100, why), nullptr);
  EXPECT_EQ(why, Refusal::descriptor_reserve);
  EXPECT_EQ(limit->open(), 0u);  // the lease above is gone; the refused one never counted
}

TEST(ConnectionLimit, NoCapMeansNoCap) {
  auto limit = ConnectionLimit::create(0, 0);
  Refusal why = Refusal::none;
  std::vector<std::unique_ptr<ConnectionLimit::Lease>> held;
  for (int i = 0; i < 1000; ++i) held.push_back(limit->admit(a1, 1'000'000, why));
  EXPECT_EQ(limit->open_from(a1), 1000u);
  held.clear();
  EXPECT_EQ(limit->open(), 0u);
}

TEST(ConnectionLimit, ReservesAnEighthOfTheDescriptorsWithinBounds) {
  EXPECT_EQ(ConnectionLimit::reserve_for(64), 16u);
  EXPECT_EQ(ConnectionLimit::reserve_for(256), 32u);
  EXPECT_EQ(ConnectionLimit::reserve_for(1024), 128u);
  EXPECT_EQ(ConnectionLimit::reserve_for(1 << 20), 256u);
}

TEST(ConnectionLimit, ShowsTheCapAndTheBusiestAddressInMetrics) {
  auto limit = ConnectionLimit::create(5, 0);
  Refusal why = Refusal::none;
  auto x = limit->admit(a1, 10, why);
  auto y = limit->admit(a1, 11, why);
  auto z = limit->admit(a2, 12, why);
  auto text = limit->render_prometheus();
  EXPECT_NE(text.find("pulseboard_http_connections_open 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pulseboard_http_connections_busiest_address 2\n"), std::string::npos);
  EXPECT_NE(text.find("pulseboard_http_connections_per_address_max 5\n"), std::string::npos);
}

}  // namespace
}  // namespace pulseboard::http
