// The general aggregates configured from examples/orders.toml publish the very snapshot the
// worker's Rollup publishes today, on the same inputs: replays, replacements, moves between
// intervals, the window sliding, more categories than the top 50, invalid revenue, rows without
// an order id. Compared as serialized JSON, byte for byte, after every step.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "streams/aggregates.hpp"
#include "streams/stream_config.hpp"
#include "worker/rollup.hpp"

namespace pulseboard::streams {
namespace {
namespace json = boost::json;

constexpr std::int64_t kStart = 1'732'766'400'000;

AggregateSpec orders_spec() {
  auto loaded = load_config("examples/orders.toml");
  return *std::get<StreamsConfig>(loaded).streams.at(0).aggregate;
}

// A small deterministic generator, so a failure reproduces.
struct Lcg {
  std::uint64_t state = 42;
  std::uint64_t next(std::uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  }
};

json::object order_row(Lcg& g, const std::string& id, std::int64_t now) {
  const std::int64_t at = now - static_cast<std::int64_t>(g.next(420'000)) + 20'000;
  json::object row{{"id", id},
                   {"revenue", static_cast<double>(g.next(100'000)) / 100.0},
                   {"category", "c" + std::to_string(g.next(70))}};
  switch (g.next(4)) {
    case 0:
      row["time"] = format_iso8601_ms(at);
      break;
    case 1:
      row["time"] = at;
      break;
    case 2:
      row["time"] = "not a time";
      break;  // falls back to committedAt
    default:
      break;
  }
  if (g.next(40) == 0) row["revenue"] = "12";  // not a number: ignored by both
  if (g.next(60) == 0) row.erase("category");
  row["eventId"] = "sqlite:" + id;
  row["committedAt"] = at - 1000;
  row["publishedAt"] = now;
  return row;
}

struct Change {
  std::string id;
  worker::Rollup::Version version;
  json::object row;
};

TEST(OrdersEquivalence, SnapshotsAreIdenticalToRollupStepByStep) {
  worker::Rollup rollup;
  Aggregates general(orders_spec());
  Lcg g;
  std::int64_t now = kStart;
  std::uint64_t position = 0;
  std::vector<Change> history;  // applied changes, some of which the source delivers again
  int counts[4] = {0, 0, 0, 0};
  for (int step = 0; step < 1500; ++step) {
    now += static_cast<std::int64_t>(g.next(800));  // ~10 minutes: the window slides
    Change c;
    if (!history.empty() && g.next(5) == 0) {
      c = history[history.size() - 1 - g.next(std::min<std::uint64_t>(history.size(), 50))];
    } else {
      c.id = "o" + std::to_string(g.next(300));
      c.row = order_row(g, c.id, now);
      c.version = {now - static_cast<std::int64_t>(g.next(3) * 1000), ++position, 0};
    }
    if (g.next(25) == 0) {
      ASSERT_EQ(rollup.add(c.row, now), general.add(c.row, now));
    } else {
      auto a = rollup.apply(c.id, c.version, c.row, now);
      auto b = general.apply(c.id, {c.version.updated_at_ms, c.version.position, 0}, c.row, now);
      ASSERT_EQ(static_cast<int>(a), static_cast<int>(b)) << "step " << step;
      ++counts[static_cast<int>(a)];
      history.push_back(c);
    }
    if (g.next(10) == 0) {
      ASSERT_EQ(rollup.advance(now + 5000), general.advance(now + 5000));
    }
    ASSERT_EQ(json::serialize(rollup.snapshot(now)), json::serialize(general.snapshot(now)))
        << "step " << step;
    ASSERT_EQ(rollup.tracked_orders(), general.tracked_keys());
  }
  // The sequence really exercised what it claims to: added, replaced, skipped, invalid.
  for (int n : counts) EXPECT_GT(n, 20);
  auto snapshot = general.snapshot(now);
  EXPECT_EQ(snapshot.at("categories").as_array().size(), 50u);
  EXPECT_GT(snapshot.at("totals").at("orders").as_int64(), 100);
}

}  // namespace
}  // namespace pulseboard::streams
