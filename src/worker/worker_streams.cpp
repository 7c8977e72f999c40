// The streams of one worker (docs/streams.md): routing each change to the streams of its table,
// their messages, their aggregates and snapshots. One source, one durable position: a batch is
// acknowledged once the messages of every stream it fed are with the broker.
#include <spdlog/spdlog.h>

#include "bridge/bridge_message.hpp"
#include "changes/event_id.hpp"
#include "common/clock.hpp"
#include "common/json_text.hpp"
#include "worker/rollup_history.hpp"
#include "worker/worker.hpp"

namespace pulseboard::worker {
namespace json = boost::json;
using changes::ChangeEvent;
using pipeline::find_path;

namespace {

std::string_view bare_table(std::string_view name) {
  const auto dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// The row a change belongs to: documentKey._id of the change event, else the projection's key.
std::optional<std::string> key_of(const json::object& data, const ChangeEvent& event,
                                  const std::string& key_field) {
  if (const json::value* key = find_path(event.document, "documentKey._id");
      key && key->is_string())
    return std::string(key->as_string());
  const json::value* id = data.if_contains(key_field);
  if (id && id->is_string()) return std::string(id->as_string());
  if (id && id->is_int64()) return std::to_string(id->as_int64());
  return std::nullopt;
}

// Where the change stands in its row's history (Aggregates::Version): the row's updatedAt (else
// the commit time), then the source position when it is comparable.
std::optional<streams::Aggregates::Version> version_of(const ChangeEvent& event) {
  streams::Aggregates::Version v;
  const json::value* updated = find_path(event.document, "fullDocument.updatedAt");
  std::optional<std::int64_t> ms;
  if (updated && updated->is_string()) ms = parse_iso8601_ms(updated->as_string());
  if (updated && updated->is_int64()) ms = updated->as_int64();
  if (!ms && event.committed_at_ms > 0) ms = event.committed_at_ms;
  if (!ms) return std::nullopt;
  v.updated_at_ms = *ms;
  if (auto order = changes::event_order(event.event_id)) {
    v.position = order->position;
    v.index = order->index;
  }
  return v;
}

}  // namespace

std::string source_column_of(const pipeline::Pipeline& pipeline, const std::string& field) {
  constexpr std::string_view prefix = "$fullDocument.";
  std::string column;
  for (const auto& stage : pipeline.stages()) {
    if (stage.kind != pipeline::Pipeline::Stage::Kind::project) continue;
    const json::value* v = stage.spec.if_contains(field);
    column.clear();
    if (!v || !v->is_string()) continue;
    std::string_view ref = v->as_string();
    if (ref.starts_with(prefix) && ref.find('.', prefix.size()) == std::string_view::npos)
      column = ref.substr(prefix.size());
  }
  return column;
}

std::vector<StreamOptions> streams_of(const streams::StreamsConfig& config) {
  std::vector<StreamOptions> out;
  for (const auto& s : config.streams) {
    out.push_back({.name = s.name,
                   .table = s.source,
                   .pipeline = s.pipeline,
                   .rooms = s.rooms,
                   .event = s.event,
                   .snapshot_event = s.snapshot_event,
                   .key = s.key,
                   .aggregate = s.aggregate,
                   .rebuild_from_history = bare_table(s.source) == "orders",
                   .time_column = s.aggregate
                                      ? source_column_of(s.pipeline, s.aggregate->time_field)
                                      : std::string()});
  }
  return out;
}

bool takes(const StreamOptions& stream, const ChangeEvent& event) {
  if (stream.table.empty() || event.table.empty()) return true;
  if (stream.table == event.table) return true;
  // A bare name in the file takes that table of whatever schema the source reports; a source
  // that reports bare names (SQLite) matches a qualified name by its table.
  if (stream.table.find('.') == std::string::npos) return stream.table == bare_table(event.table);
  return event.table.find('.') == std::string::npos && bare_table(stream.table) == event.table;
}

std::vector<Worker::Selected> Worker::select(const std::vector<ChangeEvent>& batch,
                                             std::vector<const ChangeEvent*>& canaries) const {
  std::vector<Selected> selected;
  for (auto& e : batch) {
    if (e.canary) {
      canaries.push_back(&e);
      continue;
    }
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      if (!takes(streams_[i].options, e)) continue;
      if (source_->pipeline_applied())
        selected.push_back({&e, i, e.document});
      else if (auto doc = streams_[i].options.pipeline.apply(e.document))
        selected.push_back({&e, i, std::move(*doc)});
    }
  }
  return selected;
}

std::vector<std::string> Worker::update_payloads(const std::vector<Selected>& selected,
                                                 std::int64_t published_at,
                                                 std::vector<json::object>& published) const {
  std::vector<std::string> payloads;
  published.clear();
  for (auto& s : selected) {
    const StreamOptions& stream = streams_[s.stream].options;
    published.push_back(metrics_update_data(s.projected, *s.event, published_at));
    const std::string args = to_json_text(published.back());
    for (const auto& room : stream.rooms)
      payloads.push_back(bridge::to_json({.room = room, .event = stream.event, .args = args}));
  }
  return payloads;
}

void Worker::count(Stream& stream, const json::object& data, const ChangeEvent& event,
                   std::int64_t now_ms) {
  if (!stream.aggregates) return;
  // The late rows of this one (Aggregates' own count restarts with each rebuild).
  const std::uint64_t late_before = stream.aggregates->counters().late_rows;
  count_row(stream, data, event, now_ms);
  *stream.late += stream.aggregates->counters().late_rows - late_before;
}

void Worker::count_row(Stream& stream, const json::object& data, const ChangeEvent& event,
                       std::int64_t now_ms) {
  auto id = key_of(data, event, stream.options.key);
  auto version = version_of(event);
  if (id && version) {
    switch (stream.aggregates->apply(*id, *version, data, now_ms)) {
      case streams::Aggregates::Applied::added:
      case streams::Aggregates::Applied::replaced:
        stream.dirty = true;
        ++*stream.applied;
        break;
      case streams::Aggregates::Applied::skipped:
        counters_.replays_skipped++;
        break;
      case streams::Aggregates::Applied::invalid:
        break;
    }
    return;
  }
  // No key (a projection without one, from a source that applied the pipeline): counted once
  // per event, except one committed before the last rebuild read the database, which is in the
  // rebuilt totals already.
  if (stream.options.rebuild_from_history && rebuilt_at_ms_ != 0 &&
      event.committed_at_ms <= rebuilt_at_ms_) {
    counters_.replays_skipped++;
    return;
  }
  if (stream.aggregates->add(data, now_ms)) {
    stream.dirty = true;
    ++*stream.applied;
  }
}

void Worker::maybe_publish_snapshot(Stream& stream, std::int64_t now_ms, bool force) {
  if (!stream.aggregates) return;
  const auto now = std::chrono::steady_clock::now();
  const bool changed = stream.dirty && now - stream.last_snapshot >= options_.snapshot_interval;
  // Only once something was published: empty aggregates must not overwrite a stored snapshot.
  const bool refresh = options_.snapshot_refresh.count() > 0 &&
                       stream.last_snapshot != std::chrono::steady_clock::time_point{} &&
                       now - stream.last_snapshot >= options_.snapshot_refresh;
  if (!force && !changed && !refresh) return;
  json::object data = stream.aggregates->snapshot(now_ms);
  if (stream.resnapshot_pending) data["resnapshot"] = true;
  const std::string args = to_json_text(data);
  stream.last_snapshot = now;
  // Stored by the broker as well as published: a gateway that was not subscribed now reads it
  // back when it (re)subscribes (docs/snapshots.md). One per room.
  bool confirmed = true;
  for (const auto& room : stream.options.rooms) {
    const bridge::Message message{
        .room = room, .event = stream.options.snapshot_event, .retain = true, .args = args};
    const std::string field = bridge::retained_field(message);
    confirmed = publish_and_wait({bridge::to_json(message)}, &field) && confirmed;
  }
  if (confirmed) {
    stream.dirty = false;
    stream.resnapshot_pending = false;
    counters_.snapshots++;
  } else {
    spdlog::warn("worker: broker did not confirm the {} snapshot; will retry", stream.options.name);
  }
}

void Worker::note_rebuild_failure(const Stream& stream, const std::string& why) {
  counters_.rebuild_failures++;
  next_rebuild_ = std::chrono::steady_clock::now() + options_.backoff_max;
  spdlog::warn(
      "worker: cannot read {} to rebuild the aggregates of {} ({}); no snapshot until it works, "
      "retrying in {} ms",
      stream.options.table, stream.options.name, why, options_.backoff_max.count());
}

// The table's newest rows by the time column, oldest first, through the stream's pipeline as
// inserts. Version (0, 0, 0): any change the source delivers after this replaces the row's
// contribution, so a replay of the unacknowledged rest ends at the row's latest state.
bool Worker::rebuild_from_table(Stream& stream, std::int64_t now) {
  auto read = options_.tables->newest(stream.options.table, stream.options.time_column,
                                      options_.history_limit);
  if (auto* err = std::get_if<std::string>(&read)) {
    note_rebuild_failure(stream, *err);
    return false;
  }
  auto& rows = std::get<std::vector<ChangeEvent>>(read);
  streams::Aggregates fresh(*stream.options.aggregate);
  std::size_t counted = 0;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    auto projected = stream.options.pipeline.apply(it->document);
    if (!projected) continue;
    auto id = key_of(*projected, *it, stream.options.key);
    it->event_id = changes::rebuild_event_id(id.value_or(""));
    const json::object data = metrics_update_data(*projected, *it, now);
    if (id)
      fresh.apply(*id, {0, 0, 0}, data, now);
    else
      fresh.add(data, now);
    ++counted;
  }
  stream.aggregates = std::move(fresh);
  stream.dirty = true;
  spdlog::info("worker: aggregates of {} rebuilt from {} rows of {}", stream.options.name, counted,
               stream.options.table);
  if (rows.size() >= options_.history_limit)
    spdlog::warn("worker: {} has more than {} rows; only the newest are in the aggregates",
                 stream.options.table, options_.history_limit);
  return true;
}

bool Worker::rebuild_stream(Stream& stream, std::int64_t now) {
  const auto& spec = *stream.options.aggregate;
  auto read =
      read_rollup_history(*options_.history, stream.options.pipeline, now - spec.window.count(),
                          spec.recent, now, options_.history_limit);
  if (auto* err = std::get_if<HistoryError>(&read)) {
    note_rebuild_failure(stream, std::string(store::to_string(err->error)));
    return false;
  }
  auto& history = std::get<RollupHistory>(read);
  streams::Aggregates fresh(spec);
  // Version (updatedAt, 0, 0): a change the source replays after this is counted only when the
  // order is newer than what the read saw (a tie replaces it with the same or a later state).
  for (std::size_t i = 0; i < history.updates.size(); ++i)
    fresh.apply(history.ids[i], {history.updated_at.at(history.ids[i]), 0, 0}, history.updates[i],
                now);
  stream.aggregates = std::move(fresh);
  stream.dirty = true;
  spdlog::info("worker: aggregates of {} rebuilt from {} orders in the database",
               stream.options.name, history.updates.size());
  if (history.truncated)
    spdlog::warn("worker: more than {} orders in the window; the oldest are not in the aggregates",
                 options_.history_limit);
  return true;
}

}  // namespace pulseboard::worker
