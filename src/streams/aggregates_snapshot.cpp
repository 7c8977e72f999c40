// Aggregates::snapshot(): the retained snapshot's `data` object. Its shape follows the
// configuration: {generatedAt, intervalMs, windowMs, totals, series, <group list>, recent}, the
// measures under their names in the places they are shown. Sums are folded interval by interval
// in time order, as the former orders rollup did, so the orders example prints the very same
// numbers.
#include <algorithm>
#include <limits>

#include "streams/aggregates.hpp"

namespace pulseboard::streams {
namespace json = boost::json;

Aggregates::Summary Aggregates::empty_summary() const {
  Summary s;
  s.count.assign(fields_.size(), 0);
  s.sum.assign(fields_.size(), 0.0);
  s.min.assign(fields_.size(), std::nullopt);
  s.max.assign(fields_.size(), std::nullopt);
  return s;
}

void Aggregates::fold(Summary& s, const Cell& c) const {
  s.rows += c.rows;
  for (std::size_t i = 0; i < c.fields.size(); ++i) {
    const FieldState& f = c.fields[i];
    s.count[i] += f.count;
    s.sum[i] += f.sum;
    if (f.values.empty()) continue;
    const double lo = *f.values.begin(), hi = *f.values.rbegin();
    s.min[i] = s.min[i] ? std::min(*s.min[i], lo) : lo;
    s.max[i] = s.max[i] ? std::max(*s.max[i], hi) : hi;
  }
}

void Aggregates::merge(Summary& into, const Summary& from) const {
  into.rows += from.rows;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    into.count[i] += from.count[i];
    into.sum[i] += from.sum[i];
    if (from.min[i]) into.min[i] = into.min[i] ? std::min(*into.min[i], *from.min[i]) : from.min[i];
    if (from.max[i]) into.max[i] = into.max[i] ? std::max(*into.max[i], *from.max[i]) : from.max[i];
  }
}

// count: rows (an integer); sum: a number; avg: sum / values, 0 without values; min, max: the
// extreme value, null without values.
json::value Aggregates::measure_value(const Measure& m, const Summary& s) const {
  const int f = measure_field_[static_cast<std::size_t>(&m - spec_.measures.data())];
  const auto i = static_cast<std::size_t>(f < 0 ? 0 : f);
  switch (m.op) {
    case MeasureOp::count:
      return s.rows;
    case MeasureOp::sum:
      return s.sum[i];
    case MeasureOp::avg:
      return s.count[i] ? s.sum[i] / static_cast<double>(s.count[i]) : 0.0;
    case MeasureOp::min:
      return s.min[i] ? json::value(*s.min[i]) : json::value(nullptr);
    case MeasureOp::max:
      return s.max[i] ? json::value(*s.max[i]) : json::value(nullptr);
  }
  return nullptr;
}

double Aggregates::rank_value(const Measure& m, const Summary& s) const {
  const json::value v = measure_value(m, s);
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  return v.is_double() ? v.as_double() : -std::numeric_limits<double>::infinity();
}

// The top groups by the rank measure, descending; ties keep the names' order.
json::array Aggregates::ranked_groups(const std::map<std::string, Summary>& groups) const {
  const GroupSpec& g = *spec_.group;
  const Measure* rank = nullptr;
  for (auto& m : spec_.measures)
    if (m.name == g.rank_by) rank = &m;
  std::vector<std::pair<std::string, double>> ranked;
  for (auto& [name, s] : groups) ranked.emplace_back(name, rank ? rank_value(*rank, s) : 0.0);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](auto& a, auto& b) { return a.second > b.second; });
  if (ranked.size() > g.top) ranked.resize(g.top);
  json::array out;
  for (auto& [name, _] : ranked) {
    json::object entry{{g.label, name}};
    for (auto& m : spec_.measures)
      if (m.in_groups) entry[m.name] = measure_value(m, groups.at(name));
    out.push_back(std::move(entry));
  }
  return out;
}

json::object Aggregates::snapshot(std::int64_t now_ms) const {
  const std::int64_t interval = spec_.interval.count();
  Summary totals = empty_summary();
  std::map<std::string, Summary> groups;
  json::array series;
  for (std::int64_t s = oldest_start(now_ms); s <= bucket_start(now_ms); s += interval) {
    Summary here = empty_summary();
    if (auto it = buckets_.find(s); it != buckets_.end()) {
      fold(here, it->second.totals);
      for (auto& [name, cell] : it->second.groups) {
        auto g = groups.try_emplace(name, empty_summary()).first;
        fold(g->second, cell);
      }
    }
    merge(totals, here);
    json::object entry{{"start", s}};
    for (auto& m : spec_.measures)
      if (m.in_series) entry[m.name] = measure_value(m, here);
    series.push_back(std::move(entry));
  }
  json::object t;
  for (auto& m : spec_.measures)
    if (m.in_totals) t[m.name] = measure_value(m, totals);
  json::object out{{"generatedAt", now_ms},
                   {"intervalMs", interval},
                   {"windowMs", spec_.window.count()},
                   {"totals", std::move(t)},
                   {"series", std::move(series)}};
  if (spec_.group) out[spec_.group->list] = ranked_groups(groups);
  json::array recent;
  for (auto& r : recent_) recent.push_back(r.data);
  out["recent"] = std::move(recent);
  return out;
}

}  // namespace pulseboard::streams
