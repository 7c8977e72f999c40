#pragma once
// Windowed aggregates over published metrics-update data objects: revenue and order count per
// interval and per category over a sliding window, totals, and the most recent updates. The
// worker publishes them as the retained `metrics-snapshot`, so a dashboard that joins late starts
// full instead of empty. Pure: time comes in as arguments.
//
// Counting is idempotent per order (apply()): each order contributes once, in its latest
// state, so a change the source delivers again (a restart from a slot position that lags what
// was applied, a batch retried after a crash, a replay after a rebuild) never counts twice.
#include <boost/json.hpp>

#include <chrono>
#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace pulseboard::worker {

class Rollup {
 public:
  struct Options {
    std::chrono::milliseconds interval{5000};
    std::chrono::milliseconds window{300000};
    std::size_t recent = 12;
    std::size_t max_categories = 50;  // snapshot lists the top categories by revenue
  };

  // Where one change stands in its order's history. Compared in this order: the order's
  // updatedAt (written by the database's writer, never moving back for one order), then the
  // change's position in the source when it has a comparable one (PostgreSQL: commit LSN, then
  // index in the transaction; SQLite: outbox position), else 0. A rebuild from the store reads
  // no position: its version is (updatedAt, 0, 0), below every streamed change of that updatedAt.
  struct Version {
    std::int64_t updated_at_ms = 0;
    std::uint64_t position = 0;
    std::uint64_t index = 0;
    auto operator<=>(const Version&) const = default;
  };
  enum class Applied { added, replaced, skipped, invalid };

  Rollup();
  explicit Rollup(Options options);

  // One metrics-update data object of order `order_id` at `version`, idempotently:
  // - skipped when the rollup already holds this order at `version` or later (a replay);
  // - replaced when it holds an older version: the old contribution (interval, category,
  //   revenue, its entry in `recent`) is taken out and the new one put in;
  // - added otherwise.
  // Per-order state is kept only for orders counted in an interval of the window and for the
  // entries of `recent`, and is dropped when the interval slides out: memory is bounded by the
  // number of orders inside the window (plus `recent`). A change replayed after its interval
  // slid out is not counted anyway (older than the window), so dropping the state is exact.
  Applied apply(const std::string& order_id, Version version, const boost::json::object& update,
                std::int64_t now_ms);

  // One metrics-update data object ({id, revenue, category, time, eventId, committedAt, ...}).
  // Bucketed by `time` (the order's createdAt, as the dashboard charts it), else committedAt.
  // Updates older than the window only enter `recent`. Returns false (and ignores it) when revenue
  // is not a number. Not idempotent (no order id): for updates whose order is unknown.
  bool add(const boost::json::object& update, std::int64_t now_ms);
  // Drops buckets that slid out of the window; true when that changed the aggregates.
  bool advance(std::int64_t now_ms);
  // The metrics-snapshot `data` object of the data-path contract.
  boost::json::object snapshot(std::int64_t now_ms) const;

  // Orders with per-order state (counted inside the window, or in `recent`).
  std::size_t tracked_orders() const { return counted_.size(); }

 private:
  struct Totals {
    double revenue = 0;
    std::int64_t orders = 0;
  };
  struct Bucket {
    Totals totals;
    std::map<std::string, Totals> categories;
    std::vector<std::string> orders;  // ids counted here (an id may have moved on since)
  };
  // One order's contribution, to take it out again when a newer version replaces it.
  struct Counted {
    Version version;
    std::int64_t bucket = 0;  // interval start; only meaningful when `in_bucket`
    bool in_bucket = false;
    std::string category;
    double revenue = 0;
  };
  struct Recent {
    std::string order_id;  // empty for add() without an id
    boost::json::object data;
  };
  std::int64_t bucket_start(std::int64_t t) const;
  Applied insert(const std::string* order_id, Version version, const boost::json::object& update,
                 std::int64_t now_ms);
  void take_out(const std::string& order_id, const Counted& c);
  bool in_recent(const std::string& order_id) const;

  Options options_;
  std::map<std::int64_t, Bucket> buckets_;  // by interval start; bounded by window/interval+1
  std::deque<Recent> recent_;               // bounded by options_.recent
  // Orders counted in buckets_ or held in recent_; entries leave with their interval (advance)
  // or when they leave recent_, whichever is later.
  std::unordered_map<std::string, Counted> counted_;
};

}  // namespace pulseboard::worker
