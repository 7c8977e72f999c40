// [stream.aggregate]: time buckets, measures and the optional group-by of one stream.
#include <algorithm>
#include <array>

#include "streams/config_parts.hpp"

namespace pulseboard::streams::detail {

namespace {

constexpr std::array<std::string_view, 5> kOps = {"count", "sum", "avg", "min", "max"};
// Keys of the snapshot object itself; a group list must not shadow one.
constexpr std::array<std::string_view, 6> kSnapshotKeys = {"generatedAt", "intervalMs", "windowMs",
                                                           "totals",      "series",     "recent"};

void read_window(ConfigReader& r, const toml::table& t, const std::string& path, AggregateSpec& a) {
  auto interval = r.duration_ms(t, path, "interval");
  auto window = r.duration_ms(t, path, "window");
  if (interval) a.interval = std::chrono::milliseconds(*interval);
  if (window) a.window = std::chrono::milliseconds(*window);
  const std::int64_t i = a.interval.count(), w = a.window.count();
  const toml::node* at = t.get(window ? "window" : "interval");
  if (i < limits::min_interval_ms)
    r.error(t.get("interval"), path + ".interval", "must be at least 100ms");
  else if (w < i || w % i != 0)
    r.error(at, path + ".window", "must be a whole number (at least 1) of intervals");
  else if (w > limits::max_window_ms)
    r.error(at, path + ".window", "must be at most 7 days");
  else if (static_cast<std::size_t>(w / i) > limits::max_buckets)
    r.error(at, path + ".window",
            "holds " + std::to_string(w / i) + " intervals (at most " +
                std::to_string(limits::max_buckets) + ")");
}

void read_placement(ConfigReader& r, const toml::table& t, const std::string& path, Measure& m) {
  auto in = r.strings(t, path, "in", 3);
  if (!in) return;
  m.in_totals = m.in_series = m.in_groups = false;
  for (auto& place : *in) {
    if (place == "totals")
      m.in_totals = true;
    else if (place == "series")
      m.in_series = true;
    else if (place == "groups")
      m.in_groups = true;
    else
      r.error(t.get("in"), path + ".in", "'" + place + "' is not totals, series or groups");
  }
  if (in->empty()) r.error(t.get("in"), path + ".in", "must name at least one place");
}

Measure read_measure(ConfigReader& r, const toml::table& t, const std::string& path,
                     const Fields& fields) {
  r.only_keys(t, path, {"name", "op", "field", "in"});
  Measure m;
  if (auto name = r.string(t, path, "name", true)) {
    if (!is_identifier(*name) || *name == "start")
      r.error(t.get("name"), path + ".name",
              "'" + *name + "' is not [A-Za-z_][A-Za-z0-9_]{0,62} (or is the reserved 'start')");
    m.name = *name;
  }
  if (auto op = r.string(t, path, "op", true)) {
    auto it = std::find(kOps.begin(), kOps.end(), *op);
    if (it == kOps.end())
      r.error(t.get("op"), path + ".op", "'" + *op + "' is not count, sum, avg, min or max");
    else
      m.op = static_cast<MeasureOp>(it - kOps.begin());
  }
  auto field = r.string(t, path, "field", false);
  if (m.op == MeasureOp::count && field)
    r.error(t.get("field"), path + ".field", "count counts rows and takes no field");
  else if (m.op != MeasureOp::count && !field && t.contains("op"))
    r.error(&t, path + ".field",
            "missing (" + std::string(kOps[static_cast<std::size_t>(m.op)]) + " needs a field)");
  else if (field && fields.check(r, t, path, "field", *field))
    m.field = *field;
  read_placement(r, t, path, m);
  return m;
}

void read_measures(ConfigReader& r, const toml::table& t, const std::string& path,
                   const Fields& fields, AggregateSpec& a) {
  const toml::array* list = r.tables(t, path, "measure", limits::max_measures, true);
  for (std::size_t i = 0; list && i < list->size(); ++i) {
    const std::string mpath = ConfigReader::index(path + ".measure", i);
    const toml::table& mt = *list->get(i)->as_table();
    Measure m = read_measure(r, mt, mpath, fields);
    for (auto& other : a.measures)
      if (!m.name.empty() && other.name == m.name)
        r.error(mt.get("name"), mpath + ".name", "duplicate measure name '" + m.name + "'");
    a.measures.push_back(std::move(m));
  }
}

void read_group_names(ConfigReader& r, const toml::table& t, const std::string& path,
                      const AggregateSpec& a, GroupSpec& g) {
  if (auto list = r.string(t, path, "list", false)) g.list = *list;
  const bool shadows =
      std::find(kSnapshotKeys.begin(), kSnapshotKeys.end(), g.list) != kSnapshotKeys.end();
  if (!is_identifier(g.list) || shadows)
    r.error(t.get("list"), path + ".list",
            "'" + g.list + "' must be an identifier other than the snapshot's own keys");
  if (auto label = r.string(t, path, "label", false)) g.label = *label;
  if (g.label.empty()) g.label = g.field;
  for (auto& m : a.measures)
    if (m.name == g.label)
      r.error(t.get("label"), path + ".label",
              "'" + g.label + "' is also a measure name (set label to another name)");
  if (auto other = r.string(t, path, "other", false)) g.other = *other;
  if (g.other.empty() || g.other.size() > limits::max_group_bytes)
    r.error(t.get("other"), path + ".other", "must be 1 to 256 bytes");
}

void read_group_rank(ConfigReader& r, const toml::table& t, const std::string& path,
                     const AggregateSpec& a, GroupSpec& g) {
  if (auto top = r.integer(t, path, "top", 1, limits::max_top)) g.top = *top;
  if (auto max = r.integer(t, path, "max_groups", 1, limits::max_groups)) g.max_groups = *max;
  if (g.max_groups < g.top)
    r.error(t.get("max_groups"), path + ".max_groups", "must be at least top");
  if (auto rank = r.string(t, path, "rank_by", false)) g.rank_by = *rank;
  if (g.rank_by.empty() && !a.measures.empty()) g.rank_by = a.measures.front().name;
  auto m = std::find_if(a.measures.begin(), a.measures.end(),
                        [&](const Measure& m) { return m.name == g.rank_by; });
  if (m == a.measures.end() || !m->in_groups)
    r.error(t.contains("rank_by") ? t.get("rank_by") : &t, path + ".rank_by",
            "'" + g.rank_by + "' is not a measure shown in groups");
}

GroupSpec read_group(ConfigReader& r, const toml::table& t, const std::string& path,
                     const Fields& fields, const AggregateSpec& a) {
  r.only_keys(t, path, {"field", "list", "label", "top", "rank_by", "max_groups", "other"});
  GroupSpec g;
  if (auto field = r.string(t, path, "field", true))
    if (fields.check(r, t, path, "field", *field)) g.field = *field;
  read_group_names(r, t, path, a, g);
  read_group_rank(r, t, path, a, g);
  return g;
}

}  // namespace

std::optional<AggregateSpec> read_aggregate(ConfigReader& r, const toml::table& t,
                                            const std::string& path, const Fields& fields) {
  r.only_keys(t, path,
              {"time", "interval", "window", "recent", "max_rows", "required", "measure", "group"});
  AggregateSpec a;
  if (auto time = r.string(t, path, "time", true))
    if (fields.check(r, t, path, "time", *time)) a.time_field = *time;
  read_window(r, t, path, a);
  if (auto n = r.integer(t, path, "recent", 0, limits::max_recent)) a.recent = *n;
  if (auto n = r.integer(t, path, "max_rows", 1, limits::max_rows)) a.max_rows = *n;
  if (auto required = r.strings(t, path, "required", limits::max_required))
    for (auto& f : *required)
      if (fields.check(r, t, path, "required", f)) a.required.push_back(f);
  read_measures(r, t, path, fields, a);
  if (auto* g = r.table(t, path, "group", false))
    a.group = read_group(r, *g, path + ".group", fields, a);
  return a;
}

}  // namespace pulseboard::streams::detail
