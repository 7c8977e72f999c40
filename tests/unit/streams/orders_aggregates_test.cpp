// The orders example's aggregates (examples/orders.toml, built in): the orders dashboard's
// snapshot, counting and idempotence per order.
#include <gtest/gtest.h>

#include "streams/aggregates.hpp"
#include "streams/dashboard_description.hpp"

namespace pulseboard::streams {
namespace {
namespace json = boost::json;

constexpr std::int64_t kNow = 1'732'766'400'000;  // a multiple of 5000

json::object update(std::string id, double revenue, std::string category, std::int64_t at) {
  return json::object{{"id", id},         {"revenue", revenue},        {"category", category},
                      {"time", "x"},      {"eventId", "sqlite:" + id}, {"committedAt", at},
                      {"publishedAt", at}};
}

Aggregates orders_aggregates() {
  return Aggregates(builtin_orders_config().streams.front().aggregate.value());
}

TEST(OrdersAggregates, EmptySnapshotHasAFullZeroSeries) {
  Aggregates r = orders_aggregates();
  auto s = r.snapshot(kNow);
  EXPECT_EQ(s.at("intervalMs"), 5000);
  EXPECT_EQ(s.at("windowMs"), 300000);
  EXPECT_EQ(s.at("generatedAt"), kNow);
  auto& series = s.at("series").as_array();
  ASSERT_EQ(series.size(), 60u);
  EXPECT_EQ(series.back().at("start"), kNow);
  EXPECT_EQ(series.front().at("start"), kNow - 295000);
  EXPECT_EQ(s.at("totals"), json::parse(R"({"revenue":0.0,"orders":0,"avgOrderValue":0.0})"));
  EXPECT_TRUE(s.at("categories").as_array().empty());
  EXPECT_TRUE(s.at("recent").as_array().empty());
}

TEST(OrdersAggregates, AggregatesPerIntervalCategoryAndTotals) {
  Aggregates r = orders_aggregates();
  r.add(update("a", 10, "books", kNow + 100), kNow + 1000);
  r.add(update("b", 30, "games", kNow + 200), kNow + 1000);
  r.add(update("c", 20, "books", kNow - 4000), kNow + 1000);  // previous interval
  auto s = r.snapshot(kNow + 1000);
  EXPECT_EQ(s.at("totals"), json::parse(R"({"revenue":60.0,"orders":3,"avgOrderValue":20.0})"));
  auto& series = s.at("series").as_array();
  EXPECT_EQ(series.back(), json::parse(R"({"start":1732766400000,"revenue":40.0,"orders":2})"));
  EXPECT_EQ(series[series.size() - 2].at("revenue"), 20.0);
  EXPECT_EQ(s.at("categories"), json::parse(R"([{"category":"books","revenue":30.0,"orders":2},
                            {"category":"games","revenue":30.0,"orders":1}])"));
}

TEST(OrdersAggregates, WindowSlidesAndReportsTheChange) {
  Aggregates r = orders_aggregates();
  r.add(update("a", 10, "books", kNow), kNow);
  EXPECT_FALSE(r.advance(kNow + 294999));
  EXPECT_TRUE(r.advance(kNow + 300000));  // the bucket at kNow left the window
  auto s = r.snapshot(kNow + 300000);
  EXPECT_EQ(s.at("totals").at("orders"), 0);
  EXPECT_EQ(s.at("recent").as_array().size(), 1u);  // recent is not windowed
}

TEST(OrdersAggregates, RecentKeepsTheLastTwelveOldestFirst) {
  Aggregates r = orders_aggregates();
  for (int i = 0; i < 15; ++i) r.add(update(std::to_string(i), 1, "c", kNow), kNow);
  auto snapshot = r.snapshot(kNow);
  auto& recent = snapshot.at("recent").as_array();
  ASSERT_EQ(recent.size(), 12u);
  EXPECT_EQ(recent.front().at("id"), "3");
  EXPECT_EQ(recent.back().at("id"), "14");
}

TEST(OrdersAggregates, IgnoresUpdatesWithoutNumericRevenueAndOldEvents) {
  Aggregates r = orders_aggregates();
  auto bad = update("x", 1, "c", kNow);
  bad["revenue"] = "12";
  EXPECT_FALSE(r.add(bad, kNow));
  EXPECT_TRUE(r.add(update("old", 5, "c", kNow - 400000), kNow));
  EXPECT_EQ(r.snapshot(kNow).at("totals").at("orders"), 0);
}

// ---- apply(): idempotent per order ----------------------------------------------------------

Aggregates::Version at(std::int64_t updated_ms, std::uint64_t position, std::uint64_t index = 0) {
  return Aggregates::Version{updated_ms, position, index};
}

json::value totals_of(const Aggregates& r, std::int64_t now) {
  return r.snapshot(now).at("totals");
}

TEST(OrdersAggregatesApply, AReplayOfTheSameChangeIsNotCountedAgain) {
  Aggregates r = orders_aggregates();
  EXPECT_EQ(r.apply("a", at(kNow, 100), update("a", 10, "books", kNow), kNow),
            Aggregates::Applied::added);
  EXPECT_EQ(r.apply("b", at(kNow, 101), update("b", 5, "games", kNow), kNow),
            Aggregates::Applied::added);
  // A source restarted from a lagging position delivers both again, then an older one of a.
  EXPECT_EQ(r.apply("a", at(kNow, 100), update("a", 10, "books", kNow), kNow),
            Aggregates::Applied::skipped);
  EXPECT_EQ(r.apply("b", at(kNow, 101), update("b", 5, "games", kNow), kNow),
            Aggregates::Applied::skipped);
  EXPECT_EQ(r.apply("a", at(kNow - 1, 99), update("a", 99, "books", kNow), kNow),
            Aggregates::Applied::skipped);
  auto s = r.snapshot(kNow);
  EXPECT_EQ(s.at("totals"), json::parse(R"({"revenue":15.0,"orders":2,"avgOrderValue":7.5})"));
  EXPECT_EQ(s.at("recent").as_array().size(), 2u);
}

TEST(OrdersAggregatesApply, ANewerVersionReplacesTheOrdersContribution) {
  Aggregates r = orders_aggregates();
  r.apply("a", at(kNow, 100), update("a", 10, "books", kNow), kNow);
  r.apply("b", at(kNow, 101), update("b", 7, "games", kNow), kNow);
  // a's revenue and category change (a PATCH): counted once, in its new state.
  EXPECT_EQ(r.apply("a", at(kNow + 1, 200), update("a", 25, "games", kNow), kNow + 1),
            Aggregates::Applied::replaced);
  auto s = r.snapshot(kNow + 1);
  EXPECT_EQ(s.at("totals"), json::parse(R"({"revenue":32.0,"orders":2,"avgOrderValue":16.0})"));
  EXPECT_EQ(s.at("categories"), json::parse(R"([{"category":"games","revenue":32.0,"orders":2}])"));
  auto& recent = s.at("recent").as_array();
  ASSERT_EQ(recent.size(), 2u);  // a's older state left recent
  EXPECT_EQ(recent.back().at("revenue"), 25.0);
  // Replaying the older change afterwards changes nothing.
  EXPECT_EQ(r.apply("a", at(kNow, 100), update("a", 10, "books", kNow), kNow + 1),
            Aggregates::Applied::skipped);
  EXPECT_EQ(totals_of(r, kNow + 1), s.at("totals"));
}

TEST(OrdersAggregatesApply, AnUpdateThatMovesAnOrderToAnotherIntervalLeavesTheOldOneEmpty) {
  Aggregates r = orders_aggregates();
  r.apply("a", at(kNow, 1), update("a", 10, "books", kNow - 4000), kNow + 1000);
  r.apply("a", at(kNow + 1, 2), update("a", 10, "books", kNow + 100), kNow + 1000);
  auto s = r.snapshot(kNow + 1000);
  auto& series = s.at("series").as_array();
  EXPECT_EQ(series.back(), json::parse(R"({"start":1732766400000,"revenue":10.0,"orders":1})"));
  EXPECT_EQ(series[series.size() - 2].at("orders"), 0);
  EXPECT_EQ(s.at("totals").at("orders"), 1);
}

TEST(OrdersAggregatesApply, ARebuildFromTheStoreIsReplacedByTheStreamedChangeNotAddedTo) {
  Aggregates r = orders_aggregates();
  // Read from the store: no position. The source then streams the same state with one.
  r.apply("a", at(kNow, 0), update("a", 10, "books", kNow), kNow);
  EXPECT_EQ(r.apply("a", at(kNow, 555, 2), update("a", 10, "books", kNow), kNow),
            Aggregates::Applied::replaced);
  EXPECT_EQ(totals_of(r, kNow), json::parse(R"({"revenue":10.0,"orders":1,"avgOrderValue":10.0})"));
}

TEST(OrdersAggregatesApply, PerOrderStateLeavesWithItsIntervalSoMemoryIsBoundedByTheWindow) {
  Aggregates r = orders_aggregates();
  for (int i = 0; i < 1000; ++i)
    r.apply("o" + std::to_string(i), at(kNow, static_cast<std::uint64_t>(i + 1)),
            update("o" + std::to_string(i), 1, "c", kNow), kNow);
  EXPECT_EQ(r.tracked_keys(), 1000u);
  r.advance(kNow + 300000);          // every interval slid out
  EXPECT_EQ(r.tracked_keys(), 12u);  // only the entries of `recent` remain
  EXPECT_EQ(totals_of(r, kNow + 300000).at("orders"), 0);
  // A replay of an order whose interval left the window is not counted either.
  r.apply("o0", at(kNow, 1), update("o0", 1, "c", kNow), kNow + 300000);
  EXPECT_EQ(totals_of(r, kNow + 300000).at("orders"), 0);
}

}  // namespace
}  // namespace pulseboard::streams
