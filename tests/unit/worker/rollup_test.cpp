#include "worker/rollup.hpp"

#include <gtest/gtest.h>

namespace pulseboard::worker {
namespace {
namespace json = boost::json;

constexpr std::int64_t kNow = 1'732'766'400'000;  // a multiple of 5000

json::object update(std::string id, double revenue, std::string category, std::int64_t at) {
  return json::object{{"id", id},         {"revenue", revenue},        {"category", category},
                      {"time", "x"},      {"eventId", "sqlite:" + id}, {"committedAt", at},
                      {"publishedAt", at}};
}

TEST(Rollup, EmptySnapshotHasAFullZeroSeries) {
  Rollup r;
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

TEST(Rollup, AggregatesPerIntervalCategoryAndTotals) {
  Rollup r;
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

TEST(Rollup, WindowSlidesAndReportsTheChange) {
  Rollup r;
  r.add(update("a", 10, "books", kNow), kNow);
  EXPECT_FALSE(r.advance(kNow + 294999));
  EXPECT_TRUE(r.advance(kNow + 300000));  // the bucket at kNow left the window
  auto s = r.snapshot(kNow + 300000);
  EXPECT_EQ(s.at("totals").at("orders"), 0);
  EXPECT_EQ(s.at("recent").as_array().size(), 1u);  // recent is not windowed
}

TEST(Rollup, RecentKeepsTheLastTwelveOldestFirst) {
  Rollup r;
  for (int i = 0; i < 15; ++i) r.add(update(std::to_string(i), 1, "c", kNow), kNow);
  auto snapshot = r.snapshot(kNow);
  auto& recent = snapshot.at("recent").as_array();
  ASSERT_EQ(recent.size(), 12u);
  EXPECT_EQ(recent.front().at("id"), "3");
  EXPECT_EQ(recent.back().at("id"), "14");
}

TEST(Rollup, IgnoresUpdatesWithoutNumericRevenueAndOldEvents) {
  Rollup r;
  auto bad = update("x", 1, "c", kNow);
  bad["revenue"] = "12";
  EXPECT_FALSE(r.add(bad, kNow));
  EXPECT_TRUE(r.add(update("old", 5, "c", kNow - 400000), kNow));
  EXPECT_EQ(r.snapshot(kNow).at("totals").at("orders"), 0);
}

}  // namespace
}  // namespace pulseboard::worker
