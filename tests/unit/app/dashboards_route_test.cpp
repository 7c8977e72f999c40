// Who sees which dashboard: the caller's token decides as at the gateway's CONNECT (no verifier:
// everyone, unrestricted; a verifier: a valid token is needed and its rooms claim filters).
#include "app/dashboards_route.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace pulseboard::app {
namespace {

const std::string kSecret(32, 'k');

auth::JwtVerifier verifier() {
  auth::JwtConfig config;
  config.hs256_secret = kSecret;
  return auth::JwtVerifier(config);
}

std::string token_for(const std::vector<std::string>& rooms) {
  return auth::mint_hs256(kSecret, auth::dev_claims("viewer", rooms, std::chrono::hours(1)));
}

TEST(DashboardsRoute, WithoutAuthenticationEveryoneIsUnrestricted) {
  auto access = viewer_access(nullptr, "");
  EXPECT_FALSE(access.refused);
  EXPECT_FALSE(access.rooms.has_value());
}

TEST(DashboardsRoute, MissingOrInvalidTokenIsRefusedWithTheReason) {
  auto v = verifier();
  auto missing = viewer_access(&v, "");
  EXPECT_TRUE(missing.refused);
  EXPECT_EQ(missing.reason, "missing_token");
  auto forged = auth::mint_hs256(std::string(32, 'x'),
                                 auth::dev_claims("viewer", {"signups"}, std::chrono::hours(1)));
  auto bad = viewer_access(&v, forged);
  EXPECT_TRUE(bad.refused);
  EXPECT_EQ(bad.reason, "bad_signature");
}

TEST(DashboardsRoute, RoomsClaimFiltersTheDescriptions) {
  auto v = verifier();
  auto access = viewer_access(&v, token_for({"live-metrics"}));
  ASSERT_FALSE(access.refused);
  ASSERT_TRUE(access.rooms.has_value());
  EXPECT_EQ(*access.rooms, std::vector<std::string>{"live-metrics"});

  streams::StreamsConfig config = streams::builtin_orders_config();
  config.streams.push_back(config.streams.front());
  config.streams.back().name = "hidden";
  config.streams.back().rooms = {"elsewhere"};
  auto body = streams::describe_dashboards(config, access.rooms);
  const auto& list = body.at("dashboards").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].as_object().at("name"), "orders");
}

TEST(DashboardsRoute, TokenWithoutRoomsClaimSeesEverything) {
  auto v = verifier();
  boost::json::object claims = auth::dev_claims("viewer", {}, std::chrono::hours(1));
  claims.erase("rooms");
  auto access = viewer_access(&v, auth::mint_hs256(kSecret, claims));
  ASSERT_FALSE(access.refused);
  EXPECT_FALSE(access.rooms.has_value());
}

}  // namespace
}  // namespace pulseboard::app
