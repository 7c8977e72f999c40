// Aggregates: counting rows in and out (the idempotent apply(), the window sliding).
#include <algorithm>

#include "streams/aggregates.hpp"

namespace pulseboard::streams {
namespace json = boost::json;

bool Aggregates::add(const json::object& row, std::int64_t now_ms) {
  return insert(nullptr, {}, row, now_ms) != Applied::invalid;
}

Aggregates::Applied Aggregates::apply(const std::string& key, Version version,
                                      const json::object& row, std::int64_t now_ms) {
  return insert(&key, version, row, now_ms);
}

bool Aggregates::in_recent(const std::string& key) const {
  return std::any_of(recent_.begin(), recent_.end(), [&](const Recent& r) { return r.key == key; });
}

// The cell of group `name` in `b`. A name not held yet is admitted while fewer than max_groups
// are held across the window; past that its rows count under `other`, so a column with
// millions of distinct values costs at most max_groups + 1 cells per interval.
Aggregates::GroupCells::iterator Aggregates::group_cell(Bucket& b, const std::string& name) {
  if (auto it = b.groups.find(name); it != b.groups.end()) return it;
  const std::string& other = spec_.group->other;
  const std::size_t held = group_cells_.size() - (group_cells_.count(other) ? 1 : 0);
  if (name != other && !group_cells_.count(name) && held >= spec_.group->max_groups) {
    ++counters_.other_rows;
    return group_cell(b, other);
  }
  ++group_cells_[name];
  return b.groups.emplace(name, Cell{}).first;
}

void Aggregates::release_group(const std::string& name) {
  auto it = group_cells_.find(name);
  if (it != group_cells_.end() && --it->second == 0) group_cells_.erase(it);
}

void Aggregates::take_out(const std::string& key, const Counted& c) {
  if (c.in_bucket)
    if (auto b = buckets_.find(c.bucket); b != buckets_.end()) {
      leave(b->second.totals, c.values);
      --rows_in_window_;
      b->second.keys.erase(key);
      if (auto g = b->second.groups.find(c.group); spec_.group && g != b->second.groups.end()) {
        leave(g->second, c.values);
        if (g->second.rows == 0) {
          b->second.groups.erase(g);
          release_group(c.group);
        }
      }
    }
  auto r =
      std::find_if(recent_.begin(), recent_.end(), [&](const Recent& e) { return e.key == key; });
  if (r != recent_.end()) recent_.erase(r);
}

// Counts the row in interval `start`; false when max_rows rows are counted already.
bool Aggregates::count_in(std::int64_t start, const std::string* key, Counted& c,
                          std::string group) {
  if (rows_in_window_ >= spec_.max_rows) {
    ++counters_.over_max_rows;
    return false;
  }
  Bucket& b = buckets_[start];
  enter(b.totals, c.values);
  ++rows_in_window_;
  if (spec_.group) {
    auto cell = group_cell(b, group);
    enter(cell->second, c.values);
    // The name the row was counted under (maybe `other`), to take it out of the same cell.
    c.group = cell->first;
  }
  if (key) {
    b.keys.insert(*key);
    c.in_bucket = true;
    c.bucket = start;
  }
  return true;
}

void Aggregates::push_recent(const std::string* key, const json::object& row) {
  recent_.push_back({key ? *key : std::string(), row});
  while (recent_.size() > spec_.recent) {
    std::string left = std::move(recent_.front().key);
    recent_.pop_front();
    if (left.empty()) continue;
    if (auto it = counted_.find(left); it != counted_.end() && !it->second.in_bucket)
      counted_.erase(it);
  }
}

Aggregates::Applied Aggregates::insert(const std::string* key, Version version,
                                       const json::object& row, std::int64_t now_ms) {
  auto values = values_of(row);
  if (!values) return Applied::invalid;
  bool replaced = false;
  if (key) {
    if (auto it = counted_.find(*key); it != counted_.end()) {
      // Already counted at this version or a later one: a replay, nothing changes.
      if (version <= it->second.version) return Applied::skipped;
      take_out(*key, it->second);
      counted_.erase(it);
      replaced = true;
    }
  }
  Counted counted{version, 0, false, {}, std::move(*values)};
  // A clock ahead of ours still counts, in the current interval, rather than in one that the
  // series would never show. Rows older than the window only enter `recent`.
  const std::int64_t start = std::min(bucket_start(time_of(row, now_ms)), bucket_start(now_ms));
  if (start >= oldest_start(now_ms))
    count_in(start, key, counted, group_of(row));
  else
    ++counters_.late_rows;
  // Kept while counted in the window or shown in `recent` (push_recent and advance drop it).
  if (key) counted_.emplace(*key, std::move(counted));
  push_recent(key, row);
  advance(now_ms);
  return replaced ? Applied::replaced : Applied::added;
}

bool Aggregates::advance(std::int64_t now_ms) {
  auto end = buckets_.lower_bound(oldest_start(now_ms));
  const bool changed = end != buckets_.begin();
  for (auto b = buckets_.begin(); b != end; ++b) {
    for (auto& key : b->second.keys) {
      auto it = counted_.find(key);
      if (it == counted_.end() || !it->second.in_bucket || it->second.bucket != b->first) continue;
      // Out of the window: a replay of it would not be counted any more, so its state goes.
      it->second.in_bucket = false;
      if (!in_recent(key)) counted_.erase(it);
    }
    for (auto& [name, cell] : b->second.groups) release_group(name);
    rows_in_window_ -= static_cast<std::size_t>(b->second.totals.rows);
  }
  buckets_.erase(buckets_.begin(), end);
  return changed;
}

}  // namespace pulseboard::streams
