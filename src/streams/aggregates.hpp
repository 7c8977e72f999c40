#pragma once
// A stream's windowed aggregates, as its configuration declares them (AggregateSpec): rows
// bucketed by a time field into intervals of a sliding window, measures (count, sum, avg, min,
// max) per interval, over the window and per group, the top groups, and the most recent rows.
// Published as the stream's retained snapshot, so a dashboard that joins late starts full.
// Pure: time comes in as arguments. For examples/orders.toml the snapshot is the one the
// worker's former orders rollup published, byte for byte (tests/unit/streams/).
//
// Idempotent per row key (apply()): each key contributes once, in its latest version; a replay
// is skipped, a newer version replaces the old contribution.
//
// Memory, all bounded by the configuration:
// - buckets: at most window/interval + 1;
// - rows counted in the window: at most max_rows; each holds its key's state (version, bucket,
//   group, one number per measure field) and, per min/max field, one value in its bucket's and
//   its group's ordered set, so that min and max stay exact when a row is replaced or leaves;
// - groups: at most max_groups distinct names held at once across the window (plus `other`,
//   which counts the rows of any further group); a name's cells leave with their intervals,
//   making room again;
// - recent: at most `recent` rows (the row objects as published).
#include <boost/json.hpp>

#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "streams/stream_config.hpp"

namespace pulseboard::streams {

class Aggregates {
 public:
  // Where one change stands in its row's history: the row's updatedAt, then the change's
  // position in the source (PostgreSQL commit LSN, SQLite outbox position), then its index. A
  // rebuild from the store has no position: (updatedAt, 0, 0), below every streamed change.
  struct Version {
    std::int64_t updated_at_ms = 0;
    std::uint64_t position = 0;
    std::uint64_t index = 0;
    auto operator<=>(const Version&) const = default;
  };
  enum class Applied { added, replaced, skipped, invalid };

  struct Counters {
    std::uint64_t over_max_rows = 0;  // rows not counted in the window: max_rows was reached
    std::uint64_t other_rows = 0;     // rows counted under `other`: max_groups was reached
    std::uint64_t late_rows = 0;      // rows older than the window: only in `recent`
  };

  // `spec` as parse_config() checked it (an interval of at least 100 ms, measures, ...).
  explicit Aggregates(AggregateSpec spec);

  // One published row of key `key` at `version`, idempotently:
  // skipped when this key is held at `version` or later; replaced when held at an older one
  // (its contribution and its `recent` entry are taken out first); added otherwise. Invalid
  // (ignored) when a `required` field is not a number.
  Applied apply(const std::string& key, Version version, const boost::json::object& row,
                std::int64_t now_ms);
  // A row without a key: counted, not idempotent.
  bool add(const boost::json::object& row, std::int64_t now_ms);
  // Drops intervals that slid out of the window; true when that changed the aggregates.
  bool advance(std::int64_t now_ms);
  boost::json::object snapshot(std::int64_t now_ms) const;

  std::size_t tracked_keys() const { return counted_.size(); }
  std::size_t tracked_groups() const { return group_cells_.size(); }
  std::size_t rows_in_window() const { return rows_in_window_; }
  Counters counters() const { return counters_; }

 private:
  using Values = std::vector<std::optional<double>>;  // one per measure field
  struct FieldState {
    std::int64_t count = 0;
    double sum = 0;
    std::multiset<double> values;  // only for fields a min or max measure reads
  };
  struct Cell {
    std::int64_t rows = 0;
    std::vector<FieldState> fields;
  };
  using GroupCells = std::map<std::string, Cell>;
  struct Bucket {
    Cell totals;
    GroupCells groups;
    std::unordered_set<std::string> keys;  // keys counted here
  };
  struct Counted {
    Version version;
    std::int64_t bucket = 0;  // only meaningful when `in_bucket`
    bool in_bucket = false;
    std::string group;
    Values values;
  };
  struct Recent {
    std::string key;  // empty for add() and rows over max_rows
    boost::json::object data;
  };
  // A cell folded over several intervals, for the totals and the groups of the snapshot.
  struct Summary {
    std::int64_t rows = 0;
    std::vector<std::int64_t> count;
    std::vector<double> sum;
    std::vector<std::optional<double>> min, max;
  };

  std::int64_t bucket_start(std::int64_t t) const;
  std::int64_t oldest_start(std::int64_t now_ms) const;
  std::optional<Values> values_of(const boost::json::object& row) const;
  std::string group_of(const boost::json::object& row) const;
  std::int64_t time_of(const boost::json::object& row, std::int64_t now_ms) const;
  Applied insert(const std::string* key, Version version, const boost::json::object& row,
                 std::int64_t now_ms);
  bool count_in(std::int64_t start, const std::string* key, Counted& c, std::string group);
  void take_out(const std::string& key, const Counted& c);
  void push_recent(const std::string* key, const boost::json::object& row);
  bool in_recent(const std::string& key) const;
  GroupCells::iterator group_cell(Bucket& b, const std::string& name);
  void enter(Cell& cell, const Values& v);
  void leave(Cell& cell, const Values& v);
  void release_group(const std::string& name);

  // snapshot helpers (aggregates_snapshot.cpp)
  Summary empty_summary() const;
  void fold(Summary& s, const Cell& c) const;
  void merge(Summary& into, const Summary& from) const;
  boost::json::value measure_value(const Measure& m, const Summary& s) const;
  double rank_value(const Measure& m, const Summary& s) const;
  boost::json::array ranked_groups(const std::map<std::string, Summary>& groups) const;

  AggregateSpec spec_;
  std::vector<std::string> fields_;  // distinct measure fields
  std::vector<bool> keep_values_;    // per field: read by a min or max measure
  std::vector<int> measure_field_;   // per measure: index in fields_, -1 for count
  std::map<std::int64_t, Bucket> buckets_;
  std::deque<Recent> recent_;
  std::unordered_map<std::string, Counted> counted_;
  // Group name -> intervals holding a cell of it; its size is the distinct groups held.
  std::unordered_map<std::string, std::size_t> group_cells_;
  std::size_t rows_in_window_ = 0;
  Counters counters_;
};

}  // namespace pulseboard::streams
