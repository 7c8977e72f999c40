#include "streams/aggregates.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pulseboard::streams {
namespace {
namespace json = boost::json;

constexpr std::int64_t kNow = 1'732'766'400'000;  // a multiple of 5000

// sales: count, sum/min/max of amount, grouped by shop.
AggregateSpec sales_spec(const std::string& extra_group = "") {
  std::string text = R"(
[[stream]]
name = "sales"
source = "sales"
rooms = ["r"]
event = "sale"
pipeline = '[{"$project": {"id": 1, "amount": 1, "shop": 1, "at": 1}}]'
[stream.aggregate]
time = "at"
recent = 3
max_rows = 100
[[stream.aggregate.measure]]
name = "n"
op = "count"
[[stream.aggregate.measure]]
name = "total"
op = "sum"
field = "amount"
[[stream.aggregate.measure]]
name = "low"
op = "min"
field = "amount"
[[stream.aggregate.measure]]
name = "high"
op = "max"
field = "amount"
[stream.aggregate.group]
field = "shop"
top = 2
rank_by = "n"
)" + extra_group;
  auto parsed = parse_config(text, "sales.toml");
  if (auto* e = std::get_if<std::vector<ConfigError>>(&parsed))
    ADD_FAILURE() << e->front().to_string();
  return *std::get<StreamsConfig>(parsed).streams.at(0).aggregate;
}

json::object sale(double amount, std::string shop, std::int64_t at) {
  return json::object{{"amount", amount}, {"shop", shop}, {"at", at}};
}

Aggregates::Version v(std::uint64_t position) {
  return {kNow, position, 0};
}

TEST(Aggregates, MinAndMaxStayExactWhenRowsAreReplaced) {
  Aggregates a(sales_spec());
  a.apply("a", v(1), sale(5, "x", kNow), kNow);
  a.apply("b", v(2), sale(1, "x", kNow), kNow);
  a.apply("c", v(3), sale(9, "x", kNow - 5000), kNow);
  EXPECT_EQ(a.snapshot(kNow).at("totals"),
            json::parse(R"({"n":3,"total":15.0,"low":1.0,"high":9.0})"));
  // b's amount rises above a's and c's falls: the old extremes must not linger.
  a.apply("b", v(4), sale(7, "x", kNow), kNow);
  a.apply("c", v(5), sale(2, "x", kNow - 5000), kNow);
  auto s = a.snapshot(kNow);
  EXPECT_EQ(s.at("totals"), json::parse(R"({"n":3,"total":14.0,"low":2.0,"high":7.0})"));
  EXPECT_EQ(s.at("series").as_array().back(),
            json::parse(R"({"start":1732766400000,"n":2,"total":12.0,"low":5.0,"high":7.0})"));
  EXPECT_EQ(s.at("groups"),
            json::parse(R"([{"shop":"x","n":3,"total":14.0,"low":2.0,"high":7.0}])"));
}

TEST(Aggregates, MinAndMaxFollowTheWindowAsItSlides) {
  Aggregates a(sales_spec());
  a.apply("old", v(1), sale(1, "x", kNow - 100000), kNow);
  a.apply("new", v(2), sale(50, "x", kNow), kNow);
  a.apply("mid", v(3), sale(20, "y", kNow - 50000), kNow);
  EXPECT_EQ(a.snapshot(kNow).at("totals").at("low"), 1.0);
  EXPECT_TRUE(a.advance(kNow + 200001));  // "old" slid out
  EXPECT_EQ(a.snapshot(kNow + 200001).at("totals"),
            json::parse(R"({"n":2,"total":70.0,"low":20.0,"high":50.0})"));
  a.advance(kNow + 300000);  // everything slid out
  auto s = a.snapshot(kNow + 300000);
  EXPECT_EQ(s.at("totals"), json::parse(R"({"n":0,"total":0.0,"low":null,"high":null})"));
  EXPECT_TRUE(s.at("groups").as_array().empty());
  EXPECT_EQ(s.at("recent").as_array().size(), 3u);  // recent is not windowed
}

TEST(Aggregates, GroupsPastTheBoundCountUnderOtherAndMakeRoomWhenTheySlideOut) {
  Aggregates a(sales_spec("max_groups = 3\n"));
  for (int i = 0; i < 1000; ++i)
    a.apply("k" + std::to_string(i), v(i + 1), sale(1, "shop" + std::to_string(i % 10), kNow),
            kNow);
  EXPECT_LE(a.tracked_groups(), 4u);  // three named groups and (other)
  EXPECT_EQ(a.rows_in_window(), 100u);
  auto s = a.snapshot(kNow);
  // The first three shops were admitted; the seven others' rows count as one group.
  EXPECT_EQ(s.at("groups"),
            json::parse(R"j([{"shop":"(other)","n":70,"total":70.0,"low":1.0,"high":1.0
},
                                           {"shop":"shop0","n":10,"total":10.0,"low":1.0,"high":1.0}])j"));
  EXPECT_EQ(a.counters().other_rows, 70u);
  a.advance(kNow + 300000);
  EXPECT_EQ(a.tracked_groups(), 0u);
  a.apply("late", v(2000), sale(3, "shop9", kNow + 300000), kNow + 300000);
  EXPECT_EQ(a.snapshot(kNow + 300000).at("groups").at(0).at("shop"), "shop9");
}

// A row older than the window is shown in `recent` but not counted, and counted as late (the
// worker's pulseboard_worker_stream_rows_late_total).
TEST(Aggregates, RowsOlderThanTheWindowAreCountedAsLate) {
  Aggregates a(sales_spec());
  a.apply("old", v(1), sale(5, "x", kNow - 3'600'000), kNow);
  a.apply("new", v(2), sale(7, "x", kNow - 1000), kNow);
  EXPECT_EQ(a.counters().late_rows, 1u);
  EXPECT_EQ(a.snapshot(kNow).at("totals").at("n"), 1);
  EXPECT_EQ(a.snapshot(kNow).at("recent").as_array().size(), 2u);
}

TEST(Aggregates, RowsAndKeysStayBoundedByMaxRowsAndTheWindow) {
  Aggregates a(sales_spec());
  for (int i = 0; i < 5000; ++i)
    a.apply("k" + std::to_string(i), v(i + 1), sale(2, "x", kNow), kNow);
  EXPECT_EQ(a.rows_in_window(), 100u);
  EXPECT_LE(a.tracked_keys(), 103u);  // counted rows plus those in recent
  EXPECT_EQ(a.counters().over_max_rows, 4900u);
  EXPECT_EQ(a.snapshot(kNow).at("totals").at("n"), 100);
  a.advance(kNow + 300000);
  EXPECT_EQ(a.rows_in_window(), 0u);
  EXPECT_EQ(a.tracked_keys(), 3u);  // only the entries of recent remain
  // Room again: new rows are counted.
  a.apply("fresh", v(9000), sale(2, "x", kNow + 300000), kNow + 300000);
  EXPECT_EQ(a.snapshot(kNow + 300000).at("totals").at("n"), 1);
}

TEST(Aggregates, ReplaysAreSkippedAndRequiredFieldsAreEnforced) {
  AggregateSpec spec = sales_spec();
  spec.required = {"amount"};
  Aggregates a(spec);
  EXPECT_EQ(a.apply("a", v(1), sale(5, "x", kNow), kNow), Aggregates::Applied::added);
  EXPECT_EQ(a.apply("a", v(1), sale(5, "x", kNow), kNow), Aggregates::Applied::skipped);
  EXPECT_EQ(a.apply("a", v(0), sale(8, "x", kNow), kNow), Aggregates::Applied::skipped);
  EXPECT_EQ(a.apply("a", v(2), sale(6, "x", kNow), kNow), Aggregates::Applied::replaced);
  auto no_amount = sale(1, "x", kNow);
  no_amount.erase("amount");
  EXPECT_EQ(a.apply("b", v(3), no_amount, kNow), Aggregates::Applied::invalid);
  EXPECT_EQ(a.snapshot(kNow).at("totals"),
            json::parse(R"({"n":1,"total":6.0,"low":6.0,"high":6.0})"));
}

TEST(Aggregates, TimesOutsideTheDateRangeCountAtTheCommitTime) {
  Aggregates a(sales_spec());
  auto huge = sale(1, "x", 0);
  huge["at"] = 1e300;
  huge["committedAt"] = kNow - 5000;
  a.apply("a", v(1), huge, kNow);
  auto tiny = sale(2, "x", 0);
  tiny["at"] = -1e300;
  a.apply("b", v(2), tiny, kNow);  // no commit time either: now
  auto snapshot = a.snapshot(kNow);
  auto& series = snapshot.at("series").as_array();
  EXPECT_EQ(series.back().at("n"), 1);
  EXPECT_EQ(series[series.size() - 2].at("n"), 1);
}

TEST(Aggregates, AvgAndNumericGroupNamesOfTheSignupsExample) {
  auto loaded = load_config("examples/signups.toml");
  Aggregates a(*std::get<StreamsConfig>(loaded).streams.at(0).aggregate);
  const std::int64_t now = kNow;
  a.apply("1", v(1), json::object{{"plan", "pro"}, {"mrr", 4900}, {"time", now}}, now);
  a.apply("2", v(2), json::object{{"plan", "pro"}, {"mrr", 9900}, {"time", now}}, now);
  a.apply("3", v(3), json::object{{"plan", 7}, {"time", now}}, now);  // no mrr: counted only
  auto s = a.snapshot(now);
  EXPECT_EQ(s.at("totals"), json::parse(R"({"signups":3,"mrr":14800.0,"avgMrr":7400.0})"));
  EXPECT_EQ(s.at("plans"), json::parse(R"([{"plan":"pro","signups":2,"mrr":14800.0,"avgMrr":7400.0},
                                           {"plan":"7","signups":1,"mrr":0.0,"avgMrr":0.0}])"));
  EXPECT_EQ(s.at("series").as_array().size(), 60u);  // 1h of 1m intervals
}

}  // namespace
}  // namespace pulseboard::streams
