// [stream.dashboard]: what the browser draws from a stream's snapshot and updates. Every panel
// must name something the snapshot carries, so a dashboard never shows an empty tile by typo.
#include <algorithm>
#include <array>

#include "streams/config_parts.hpp"

namespace pulseboard::streams::detail {

namespace {

constexpr std::array<std::string_view, 4> kKinds = {"kpi", "timeseries", "breakdown", "table"};
constexpr std::array<std::string_view, 4> kFormats = {"number", "integer", "currency", "percent"};

// The measure a kpi (totals), timeseries (series) or breakdown (groups) panel shows.
void check_panel_measure(ConfigReader& r, const toml::table& t, const std::string& path,
                         const AggregateSpec* a, Panel& p) {
  auto measure = r.string(t, path, "measure", true);
  if (!measure) return;
  p.measure = *measure;
  if (!a) {
    r.error(t.get("measure"), path + ".measure", "the stream has no [aggregate] to show");
    return;
  }
  auto m = std::find_if(a->measures.begin(), a->measures.end(),
                        [&](const Measure& m) { return m.name == p.measure; });
  const bool shown =
      m != a->measures.end() && (p.kind == PanelKind::kpi          ? m->in_totals
                                 : p.kind == PanelKind::timeseries ? m->in_series
                                                                   : m->in_groups && a->group);
  const char* where = p.kind == PanelKind::kpi          ? "totals"
                      : p.kind == PanelKind::timeseries ? "series"
                                                        : "groups (with a [group])";
  if (!shown)
    r.error(t.get("measure"), path + ".measure",
            "'" + p.measure + "' is not a measure shown in " + where);
}

void read_columns(ConfigReader& r, const toml::table& t, const std::string& path,
                  const Fields& fields, Panel& p) {
  auto columns = r.strings(t, path, "columns", limits::max_columns);
  if (!columns || columns->empty()) {
    if (!t.contains("columns") || columns)
      r.error(t.contains("columns") ? t.get("columns") : &t, path + ".columns",
              "a table panel needs 1 to 16 columns");
    return;
  }
  for (auto& c : *columns)
    if (fields.check(r, t, path, "columns", c)) p.columns.push_back(c);
}

Panel read_panel(ConfigReader& r, const toml::table& t, const std::string& path,
                 const Fields& fields, const AggregateSpec* a) {
  r.only_keys(t, path, {"kind", "title", "measure", "format", "unit", "columns"});
  Panel p;
  auto kind = r.string(t, path, "kind", true);
  auto k = kind ? std::find(kKinds.begin(), kKinds.end(), *kind) : kKinds.end();
  if (kind && k == kKinds.end())
    r.error(t.get("kind"), path + ".kind",
            "'" + *kind + "' is not kpi, timeseries, breakdown or table");
  if (k == kKinds.end()) return p;
  p.kind = static_cast<PanelKind>(k - kKinds.begin());
  if (auto title = r.string(t, path, "title", false)) p.title = *title;
  if (auto unit = r.string(t, path, "unit", false)) p.unit = *unit;
  if (p.title.size() > limits::max_name_bytes || p.unit.size() > 16)
    r.error(&t, path, "title is at most 128 bytes and unit at most 16");
  if (auto format = r.string(t, path, "format", false)) {
    if (std::find(kFormats.begin(), kFormats.end(), *format) == kFormats.end())
      r.error(t.get("format"), path + ".format",
              "'" + *format + "' is not number, integer, currency or percent");
    p.format = *format;
  }
  if (p.kind == PanelKind::table) {
    if (t.contains("measure"))
      r.error(t.get("measure"), path + ".measure", "a table panel shows columns, not a measure");
    read_columns(r, t, path, fields, p);
  } else {
    if (t.contains("columns"))
      r.error(t.get("columns"), path + ".columns", "only a table panel has columns");
    check_panel_measure(r, t, path, a, p);
  }
  return p;
}

}  // namespace

std::optional<DashboardSpec> read_dashboard(ConfigReader& r, const toml::table& t,
                                            const std::string& path, const Fields& fields,
                                            const AggregateSpec* aggregate) {
  r.only_keys(t, path, {"title", "panel"});
  DashboardSpec d;
  if (auto title = r.string(t, path, "title", true)) d.title = *title;
  if (d.title.size() > limits::max_name_bytes)
    r.error(t.get("title"), path + ".title", "at most 128 bytes");
  const toml::array* panels = r.tables(t, path, "panel", limits::max_panels, false);
  for (std::size_t i = 0; panels && i < panels->size(); ++i)
    d.panels.push_back(read_panel(r, *panels->get(i)->as_table(),
                                  ConfigReader::index(path + ".panel", i), fields, aggregate));
  return d;
}

}  // namespace pulseboard::streams::detail
