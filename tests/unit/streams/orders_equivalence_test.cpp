// The aggregates configured from examples/orders.toml publish the very snapshot the worker's
// former orders rollup published, on the same inputs: replays, replacements, moves between
// intervals, the window sliding, more categories than the top 50, invalid revenue, rows without
// an order id. orders_expected_snapshots.txt holds, for every step, the rollup's tracked order
// count and a 64-bit FNV-1a digest of its serialized snapshot (recorded from the rollup before
// it was removed); the snapshot is compared by that digest, so byte for byte, after every step.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "streams/aggregates.hpp"
#include "streams/stream_config.hpp"

namespace pulseboard::streams {
namespace {
namespace json = boost::json;

constexpr std::int64_t kStart = 1'732'766'400'000;

AggregateSpec orders_spec() {
  auto loaded = load_config("examples/orders.toml");
  return *std::get<StreamsConfig>(loaded).streams.at(0).aggregate;
}

struct Expected {
  std::size_t tracked = 0;
  std::string digest;
};

std::vector<Expected> expected_steps() {
  std::ifstream in("tests/unit/streams/orders_expected_snapshots.txt");
  std::vector<Expected> steps;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::size_t step = 0;
    Expected e;
    fields >> step >> e.tracked >> e.digest;
    if (step != steps.size()) ADD_FAILURE() << "expected outputs out of order at " << line;
    steps.push_back(e);
  }
  return steps;
}

std::string fnv1a64(const std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
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
  Aggregates::Version version;
  json::object row;
};

TEST(OrdersEquivalence, SnapshotsAreIdenticalToTheRollupsStepByStep) {
  const auto expected = expected_steps();
  ASSERT_EQ(expected.size(), 1500u);
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
      general.add(c.row, now);
    } else {
      auto a = general.apply(c.id, c.version, c.row, now);
      ++counts[static_cast<int>(a)];
      history.push_back(c);
    }
    if (g.next(10) == 0) {
      general.advance(now + 5000);
    }
    const auto& want = expected[static_cast<std::size_t>(step)];
    ASSERT_EQ(fnv1a64(json::serialize(general.snapshot(now))), want.digest) << "step " << step;
    ASSERT_EQ(general.tracked_keys(), want.tracked) << "step " << step;
  }
  // The sequence really exercised what it claims to: added, replaced, skipped, invalid.
  for (int n : counts) EXPECT_GT(n, 20);
  auto snapshot = general.snapshot(now);
  EXPECT_EQ(snapshot.at("categories").as_array().size(), 50u);
  EXPECT_GT(snapshot.at("totals").at("orders").as_int64(), 100);
}

}  // namespace
}  // namespace pulseboard::streams
