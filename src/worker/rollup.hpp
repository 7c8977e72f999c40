#pragma once
// Windowed aggregates over published metrics-update data objects: revenue and order count per
// interval and per category over a sliding window, totals, and the most recent updates. The
// worker publishes them as the retained `metrics-snapshot`, so a dashboard that joins late starts
// full instead of empty. Pure: time comes in as arguments.
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace pulseboard::worker {

class Rollup {
 public:
  struct Options {
    std::chrono::milliseconds interval{5000};
    std::chrono::milliseconds window{300000};
    std::size_t recent = 12;
    std::size_t max_categories = 50;  // snapshot lists the top categories by revenue
  };

  Rollup();
  explicit Rollup(Options options);

  // One metrics-update data object ({id, revenue, category, time, eventId, committedAt, ...}).
  // Bucketed by `time` (the order's createdAt, as the dashboard charts it), else committedAt.
  // Updates older than the window only enter `recent`. Returns false (and ignores it) when revenue
  // is not a number.
  bool add(const boost::json::object& update, std::int64_t now_ms);
  // Drops buckets that slid out of the window; true when that changed the aggregates.
  bool advance(std::int64_t now_ms);
  // The metrics-snapshot `data` object of the data-path contract.
  boost::json::object snapshot(std::int64_t now_ms) const;

 private:
  struct Totals {
    double revenue = 0;
    std::int64_t orders = 0;
  };
  struct Bucket {
    Totals totals;
    std::map<std::string, Totals> categories;
  };
  std::int64_t bucket_start(std::int64_t t) const;

  Options options_;
  std::map<std::int64_t, Bucket> buckets_;  // by interval start; bounded by window/interval+1
  std::deque<boost::json::object> recent_;  // bounded by options_.recent
};

}  // namespace pulseboard::worker
