#include "streams/dashboard_description.hpp"

#include <algorithm>

namespace pulseboard::streams {

namespace json = boost::json;

namespace {

std::string_view kind_name(PanelKind kind) {
  switch (kind) {
    case PanelKind::kpi:
      return "kpi";
    case PanelKind::timeseries:
      return "timeseries";
    case PanelKind::breakdown:
      return "breakdown";
    case PanelKind::table:
      return "table";
  }
  return "kpi";
}

std::string_view op_name(MeasureOp op) {
  switch (op) {
    case MeasureOp::count:
      return "count";
    case MeasureOp::sum:
      return "sum";
    case MeasureOp::avg:
      return "avg";
    case MeasureOp::min:
      return "min";
    case MeasureOp::max:
      return "max";
  }
  return "count";
}

json::array strings(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

json::object describe_measure(const Measure& m) {
  json::array in;
  if (m.in_totals) in.emplace_back("totals");
  if (m.in_series) in.emplace_back("series");
  if (m.in_groups) in.emplace_back("groups");
  return {{"name", m.name}, {"op", op_name(m.op)}, {"in", std::move(in)}};
}

json::object describe_panel(const Panel& p) {
  json::object out{{"kind", kind_name(p.kind)}, {"title", p.title}, {"format", p.format}};
  if (!p.unit.empty()) out["unit"] = p.unit;
  if (p.kind == PanelKind::table)
    out["columns"] = strings(p.columns);
  else
    out["measure"] = p.measure;
  return out;
}

// The snapshot's shape: the time field, interval, window, the measures and the group list's keys.
void describe_aggregate(const AggregateSpec& a, json::object& out) {
  out["time"] = a.time_field;
  out["intervalMs"] = a.interval.count();
  out["windowMs"] = a.window.count();
  out["recent"] = a.recent;
  json::array measures;
  for (const auto& m : a.measures) measures.emplace_back(describe_measure(m));
  out["measures"] = std::move(measures);
  if (a.group) {
    const auto& g = *a.group;
    out["group"] = json::object{{"list", g.list},
                                {"label", g.label.empty() ? g.field : g.label},
                                {"rankBy", g.rank_by.empty() ? a.measures.front().name : g.rank_by},
                                {"top", g.top}};
  }
}

}  // namespace

std::vector<std::string> visible_rooms(const StreamConfig& stream, const AllowedRooms& allowed) {
  if (!allowed) return stream.rooms;
  std::vector<std::string> out;
  for (const auto& room : stream.rooms)
    if (std::find(allowed->begin(), allowed->end(), room) != allowed->end()) out.push_back(room);
  return out;
}

json::object describe_stream(const StreamConfig& stream, std::vector<std::string> rooms) {
  json::object out{{"name", stream.name},
                   {"title", stream.dashboard ? stream.dashboard->title : stream.name},
                   {"rooms", strings(rooms)},
                   {"event", stream.event},
                   {"snapshotEvent", stream.snapshot_event},
                   {"key", stream.key}};
  if (stream.aggregate) describe_aggregate(*stream.aggregate, out);
  json::array panels;
  if (stream.dashboard)
    for (const auto& p : stream.dashboard->panels) panels.emplace_back(describe_panel(p));
  out["panels"] = std::move(panels);
  return out;
}

json::object describe_dashboards(const StreamsConfig& config, const AllowedRooms& allowed) {
  json::array dashboards;
  for (const auto& stream : config.streams) {
    auto rooms = visible_rooms(stream, allowed);
    if (!rooms.empty()) dashboards.emplace_back(describe_stream(stream, std::move(rooms)));
  }
  return {{"dashboards", std::move(dashboards)}};
}

}  // namespace pulseboard::streams
