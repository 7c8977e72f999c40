// GET /api/v1/dashboards answers what these functions build: each stream's rooms, events,
// snapshot shape and panels, and only the streams whose rooms the viewer may join.
#include "streams/dashboard_description.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pulseboard::streams {
namespace {

namespace json = boost::json;

StreamsConfig load(const std::string& path) {
  auto result = load_config(path);
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&result))
    ADD_FAILURE() << errors->front().to_string();
  return std::get<StreamsConfig>(std::move(result));
}

// signups.toml plus the orders stream: two streams in different rooms.
StreamsConfig two_streams() {
  StreamsConfig config = load("examples/signups.toml");
  config.streams.push_back(builtin_orders_config().streams.front());
  return config;
}

std::vector<std::string> names(const json::object& body) {
  std::vector<std::string> out;
  for (const auto& d : body.at("dashboards").as_array())
    out.emplace_back(d.as_object().at("name").as_string());
  return out;
}

TEST(DashboardDescription, BuiltInConfigIsTheOrdersExample) {
  const auto& builtin = builtin_orders_config();
  const auto file = load("examples/orders.toml");
  ASSERT_EQ(builtin.streams.size(), 1u);
  EXPECT_EQ(json::serialize(describe_dashboards(builtin, std::nullopt)),
            json::serialize(describe_dashboards(file, std::nullopt)));
}

TEST(DashboardDescription, DescribesRoomsEventsMeasuresGroupAndPanels) {
  auto body = describe_dashboards(load("examples/signups.toml"), std::nullopt);
  const auto& d = body.at("dashboards").as_array().at(0).as_object();
  EXPECT_EQ(d.at("name"), "signups");
  EXPECT_EQ(d.at("title"), "Sign-ups");
  EXPECT_EQ(d.at("rooms"), (json::array{"signups"}));
  EXPECT_EQ(d.at("event"), "signup");
  EXPECT_EQ(d.at("snapshotEvent"), "signups-snapshot");
  EXPECT_EQ(d.at("time"), "time");
  EXPECT_EQ(d.at("intervalMs"), 60000);
  EXPECT_EQ(d.at("windowMs"), 3600000);
  EXPECT_EQ(d.at("measures").as_array().at(1),
            (json::object{{"name", "mrr"}, {"op", "sum"}, {"in", {"totals", "series", "groups"}}}));
  EXPECT_EQ(
      d.at("group"),
      (json::object{{"list", "plans"}, {"label", "plan"}, {"rankBy", "signups"}, {"top", 10}}));
  const auto& panels = d.at("panels").as_array();
  ASSERT_EQ(panels.size(), 5u);
  EXPECT_EQ(panels[1], (json::object{{"kind", "kpi"},
                                     {"title", "New MRR"},
                                     {"format", "currency"},
                                     {"unit", "USD cents"},
                                     {"measure", "mrr"}}));
  EXPECT_EQ(panels[4].as_object().at("columns"),
            (json::array{"id", "plan", "country", "mrr", "time"}));
  EXPECT_FALSE(panels[4].as_object().contains("measure"));
}

TEST(DashboardDescription, OrdersMeasureShownOnlyInTotalsSaysSo) {
  auto body = describe_dashboards(builtin_orders_config(), std::nullopt);
  const auto& measures = body.at("dashboards").as_array().at(0).as_object().at("measures");
  EXPECT_EQ(measures.as_array().at(2),
            (json::object{{"name", "avgOrderValue"}, {"op", "avg"}, {"in", {"totals"}}}));
}

TEST(DashboardDescription, UnrestrictedViewerSeesEveryStream) {
  EXPECT_EQ(names(describe_dashboards(two_streams(), std::nullopt)),
            (std::vector<std::string>{"signups", "orders"}));
}

TEST(DashboardDescription, RoomsClaimHidesStreamsWhoseRoomsItDoesNotList) {
  auto config = two_streams();
  EXPECT_EQ(names(describe_dashboards(config, std::vector<std::string>{"live-metrics"})),
            (std::vector<std::string>{"orders"}));
  EXPECT_EQ(names(describe_dashboards(config, std::vector<std::string>{"signups", "other"})),
            (std::vector<std::string>{"signups"}));
  EXPECT_TRUE(names(describe_dashboards(config, std::vector<std::string>{})).empty());
}

TEST(DashboardDescription, OnlyTheRoomsTheViewerMayJoinAreListed) {
  StreamConfig stream = builtin_orders_config().streams.front();
  stream.rooms = {"a", "b", "c"};
  EXPECT_EQ(visible_rooms(stream, std::vector<std::string>{"c", "a"}),
            (std::vector<std::string>{"a", "c"}));
  auto described = describe_stream(stream, visible_rooms(stream, std::vector<std::string>{"b"}));
  EXPECT_EQ(described.at("rooms"), (json::array{"b"}));
}

}  // namespace
}  // namespace pulseboard::streams
