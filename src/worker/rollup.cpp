#include "worker/rollup.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace pulseboard::worker {
namespace json = boost::json;

namespace {
std::optional<double> number(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  return std::nullopt;
}
// "2026-11-28T04:00:00.123Z" (the order's createdAt as the stores write it) → unix ms.
std::optional<std::int64_t> iso8601_ms(std::string_view text) {
  int y, mo, d, h, mi, sec, ms = 0;
  char z = 0;
  std::string buf(text.substr(0, 40));
  if (std::sscanf(buf.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &sec, &ms,
                  &z) < 6)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

// When the revenue happened, as the dashboard charts it: the order's `time` (createdAt), else
// committedAt. The browser buckets updates the same way, so a reload shows the same chart.
std::optional<std::int64_t> revenue_time(const json::object& update) {
  if (const auto* t = update.if_contains("time")) {
    if (t->is_string())
      if (auto ms = iso8601_ms(t->as_string())) return ms;
    if (auto n = number(t)) return static_cast<std::int64_t>(*n);
  }
  if (auto c = number(update.if_contains("committedAt"))) return static_cast<std::int64_t>(*c);
  return std::nullopt;
}
}  // namespace

Rollup::Rollup() : Rollup(Options{}) {}
Rollup::Rollup(Options options) : options_(options) {}

std::int64_t Rollup::bucket_start(std::int64_t t) const {
  const std::int64_t i = options_.interval.count();
  return t >= 0 ? t - t % i : t - ((t % i) + i) % i;
}

bool Rollup::add(const json::object& update, std::int64_t now_ms) {
  return insert(nullptr, {}, update, now_ms) != Applied::invalid;
}

Rollup::Applied Rollup::apply(const std::string& order_id, Version version,
                              const json::object& update, std::int64_t now_ms) {
  return insert(&order_id, version, update, now_ms);
}

bool Rollup::in_recent(const std::string& order_id) const {
  return std::any_of(recent_.begin(), recent_.end(),
                     [&](const Recent& r) { return r.order_id == order_id; });
}

void Rollup::take_out(const std::string& order_id, const Counted& c) {
  if (c.in_bucket)
    if (auto b = buckets_.find(c.bucket); b != buckets_.end()) {
      Totals& t = b->second.totals;
      t.revenue -= c.revenue;
      if (--t.orders == 0) t.revenue = 0;  // no rounding residue in an emptied interval
      if (auto ct = b->second.categories.find(c.category); ct != b->second.categories.end()) {
        ct->second.revenue -= c.revenue;
        if (--ct->second.orders == 0) b->second.categories.erase(ct);
      }
    }
  auto r = std::find_if(recent_.begin(), recent_.end(),
                        [&](const Recent& e) { return e.order_id == order_id; });
  if (r != recent_.end()) recent_.erase(r);
}

Rollup::Applied Rollup::insert(const std::string* order_id, Version version,
                               const json::object& update, std::int64_t now_ms) {
  auto revenue = number(update.if_contains("revenue"));
  if (!revenue) return Applied::invalid;

  bool replaced = false;
  std::optional<std::int64_t> previous_bucket;
  if (order_id) {
    if (auto it = counted_.find(*order_id); it != counted_.end()) {
      // Already counted at this version or a later one: a replay, nothing changes.
      if (version <= it->second.version) return Applied::skipped;
      if (it->second.in_bucket) previous_bucket = it->second.bucket;
      take_out(*order_id, it->second);
      counted_.erase(it);
      replaced = true;
    }
  }

  Counted counted;
  counted.version = version;
  counted.revenue = *revenue;
  if (auto* c = update.if_contains("category"); c && c->is_string())
    counted.category = c->as_string().c_str();

  const std::int64_t t = revenue_time(update).value_or(now_ms);
  const std::int64_t oldest =
      bucket_start(now_ms - options_.window.count()) + options_.interval.count();
  // A clock ahead of ours still counts, in the current interval, rather than in a bucket that
  // the series would never show.
  const std::int64_t start = std::min(bucket_start(t), bucket_start(now_ms));
  if (start >= oldest) {
    Bucket& b = buckets_[start];
    b.totals.revenue += *revenue;
    b.totals.orders += 1;
    Totals& ct = b.categories[counted.category];
    ct.revenue += *revenue;
    ct.orders += 1;
    if (order_id) {
      if (previous_bucket != start) b.orders.push_back(*order_id);
      counted.in_bucket = true;
      counted.bucket = start;
    }
  }
  if (order_id) counted_.emplace(*order_id, std::move(counted));

  recent_.push_back({order_id ? *order_id : std::string(), update});
  while (recent_.size() > options_.recent) {
    std::string left = std::move(recent_.front().order_id);
    recent_.pop_front();
    if (left.empty()) continue;
    if (auto it = counted_.find(left); it != counted_.end() && !it->second.in_bucket)
      counted_.erase(it);
  }
  advance(now_ms);
  return replaced ? Applied::replaced : Applied::added;
}

bool Rollup::advance(std::int64_t now_ms) {
  const std::int64_t oldest =
      bucket_start(now_ms - options_.window.count()) + options_.interval.count();
  auto end = buckets_.lower_bound(oldest);
  bool changed = end != buckets_.begin();
  for (auto b = buckets_.begin(); b != end; ++b)
    for (auto& id : b->second.orders) {
      auto it = counted_.find(id);
      if (it == counted_.end() || !it->second.in_bucket || it->second.bucket != b->first) continue;
      // Out of the window: a replay of it would not be counted any more, so its state goes.
      it->second.in_bucket = false;
      if (!in_recent(id)) counted_.erase(it);
    }
  buckets_.erase(buckets_.begin(), end);
  return changed;
}

json::object Rollup::snapshot(std::int64_t now_ms) const {
  const std::int64_t interval = options_.interval.count();
  const std::int64_t last = bucket_start(now_ms);
  const std::int64_t first = bucket_start(now_ms - options_.window.count()) + interval;

  Totals totals;
  std::map<std::string, Totals> categories;
  json::array series;
  for (std::int64_t s = first; s <= last; s += interval) {
    Totals t;
    if (auto it = buckets_.find(s); it != buckets_.end()) {
      t = it->second.totals;
      for (auto& [name, ct] : it->second.categories) {
        categories[name].revenue += ct.revenue;
        categories[name].orders += ct.orders;
      }
    }
    totals.revenue += t.revenue;
    totals.orders += t.orders;
    series.push_back(json::object{{"start", s}, {"revenue", t.revenue}, {"orders", t.orders}});
  }

  std::vector<std::pair<std::string, Totals>> ranked(categories.begin(), categories.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](auto& a, auto& b) { return a.second.revenue > b.second.revenue; });
  if (ranked.size() > options_.max_categories) ranked.resize(options_.max_categories);
  json::array cats;
  for (auto& [name, t] : ranked)
    cats.push_back(json::object{{"category", name}, {"revenue", t.revenue}, {"orders", t.orders}});

  json::array recent;
  for (auto& r : recent_) recent.push_back(r.data);

  const double avg = totals.orders ? totals.revenue / static_cast<double>(totals.orders) : 0.0;
  return json::object{
      {"generatedAt", now_ms},
      {"intervalMs", interval},
      {"windowMs", options_.window.count()},
      {"totals",
       json::object{
           {"revenue", totals.revenue}, {"orders", totals.orders}, {"avgOrderValue", avg}}},
      {"series", std::move(series)},
      {"categories", std::move(cats)},
      {"recent", std::move(recent)},
  };
}

}  // namespace pulseboard::worker
