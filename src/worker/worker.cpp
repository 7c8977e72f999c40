#include "worker/worker.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include "bridge/bridge_message.hpp"
#include "common/backoff.hpp"
#include "common/clock.hpp"
#include "common/json_text.hpp"
#include "streams/dashboard_description.hpp"
#include "worker/rollup_history.hpp"

namespace pulseboard::worker {
namespace json = boost::json;
using changes::ChangeEvent;
using changes::ChangeSource;
using changes::SourceCounters;
using changes::SourceError;
using pipeline::Pipeline;
using pipeline::PipelineError;

namespace {

constexpr std::chrono::milliseconds kMaxPollWait{200};
constexpr std::chrono::seconds kReportEvery{10};

streams::AggregateSpec aggregate_spec_of(const std::optional<streams::AggregateSpec>& spec) {
  if (spec) return *spec;
  return streams::builtin_orders_config().streams.front().aggregate.value();
}

Pipeline load_pipeline(const std::string& text) {
  if (text.empty()) return Pipeline::article_default();
  auto parsed = Pipeline::parse(text);
  if (auto* err = std::get_if<PipelineError>(&parsed)) throw std::invalid_argument(err->message);
  return std::get<Pipeline>(std::move(parsed));
}

// Without declared streams: the one stream of the single-stream options (the orders dashboard).
std::vector<StreamOptions> streams_or_default(const Worker::Options& o) {
  if (!o.streams.empty()) return o.streams;
  return {StreamOptions{.name = "orders",
                        .table = "",
                        .pipeline = load_pipeline(o.pipeline_json),
                        .rooms = {o.room},
                        .event = o.event,
                        .snapshot_event = o.snapshot_event,
                        .key = "id",
                        .aggregate = aggregate_spec_of(o.aggregates),
                        .rebuild_from_history = true,
                        .time_column = ""}};
}

}  // namespace

json::object metrics_update_data(const json::object& projected, const ChangeEvent& event,
                                 std::int64_t published_at_ms) {
  json::object data = projected;
  data.erase("_id");  // the change-stream position; eventId carries it in a stable form
  data["eventId"] = event.event_id;
  data["committedAt"] = event.committed_at_ms;
  data["publishedAt"] = published_at_ms;
  return data;
}

Worker::Worker(std::unique_ptr<ChangeSource> source, std::shared_ptr<broker::Broker> broker,
               Options options)
    : source_(std::move(source)),
      broker_(std::move(broker)),
      options_(std::move(options)),
      counters_() {
  if (!source_ || !broker_)
    throw std::invalid_argument("worker needs a change source and a broker");
  for (auto& stream : streams_or_default(options_)) {
    Stream s;
    s.options = std::move(stream);
    if (s.options.aggregate) s.aggregates.emplace(*s.options.aggregate);
    streams_.push_back(std::move(s));
  }
  if (options_.batch == 0) options_.batch = 1;
}

Worker::~Worker() = default;

Worker::Stats Worker::stats() const {
  Stats s{counters_.published.load(),        counters_.batches_acknowledged.load(),
          counters_.publish_failures.load(), counters_.source_errors.load(),
          counters_.resnapshots.load(),      counters_.snapshots.load(),
          counters_.rebuilds.load(),         counters_.rebuild_failures.load(),
          counters_.replays_skipped.load(),  counters_.last_committed_at_ms.load(),
          counters_.source_failing.load()};
  const SourceCounters source = source_->counters();
  s.replayed_changes = source.replayed;
  s.acknowledged_skipped = source.skipped_acknowledged;
  fill_canary_stats(s);
  for (const auto& stream : streams_)
    if (stream.options.aggregate)
      s.streams.push_back({stream.options.name, stream.applied->load(), stream.late->load()});
  return s;
}

bool Worker::is_leader() const {
  return !options_.leadership || options_.leadership->is_leader();
}

void Worker::sleep_for(std::chrono::milliseconds d, std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
}

// What one run() carries from one turn of its loop to the next.
struct Worker::RunState {
  RunState(std::chrono::milliseconds floor, std::chrono::milliseconds cap,
           std::optional<std::string> start)
      : backoff(floor, cap), start_from(std::move(start)) {}
  Backoff backoff;
  std::optional<std::string> start_from;  // the position the next start() resumes after
  bool started = false;
  bool standby_logged = false;
};

void Worker::run(std::stop_token stop) {
  for (const auto& s : streams_)
    spdlog::info("worker: stream {} over {}: '{}' to {} room(s) (first '{}'), pipeline {}",
                 s.options.name, s.options.table.empty() ? "every change" : s.options.table,
                 s.options.event, s.options.rooms.size(), s.options.rooms.front(),
                 s.options.pipeline.is_article_default()
                     ? "article default"
                     : json::serialize(s.options.pipeline.to_json()));
  spdlog::info("worker: started; source {}, channel '{}'", source_->name(),
               options_.bridge_channel);
  RunState run(options_.backoff_min, options_.backoff_max, options_.start_position);
  rebuild_due_ = rebuilds_from_history();

  while (!stop.stop_requested()) {
    if (stand_by(run, stop) || !ensure_started(run, stop)) continue;
    maybe_emit_canary();
    auto polled = source_->poll(refresh_aggregates(), options_.batch);
    if (auto* err = std::get_if<SourceError>(&polled)) {
      on_source_error(run, *err, stop);
      continue;
    }
    auto& batch = std::get<std::vector<ChangeEvent>>(polled);
    if (!batch.empty()) on_delivery(run, deliver(batch, stop), stop);
  }
  if (run.started) source_->stop();
  spdlog::info("worker: stopped; published {} updates, last position {}",
               counters_.published.load(), last_position_.empty() ? "-" : last_position_);
}

bool Worker::stand_by(RunState& run, std::stop_token stop) {
  note_leading(is_leader());
  if (is_leader()) {
    run.standby_logged = false;
    return false;
  }
  if (run.started) {
    // Another worker holds the lease: release the source (a PostgreSQL slot admits one
    // reader) and publish nothing until we lead again.
    source_->stop();
    run.started = false;
  }
  // The leader meanwhile counted changes this worker never saw: when it leads again, its
  // aggregates come from the database rather than from what it held.
  rebuild_due_ = rebuilds_from_history();
  counters_.source_failing = false;  // not running is not failing: standing by is healthy
  if (!run.standby_logged) spdlog::info("worker: standby (not the leader)");
  run.standby_logged = true;
  sleep_for(std::chrono::milliseconds(100), stop);
  return true;
}

bool Worker::ensure_started(RunState& run, std::stop_token stop) {
  if (run.started) return true;
  if (auto err = source_->start(run.start_from)) {
    counters_.source_errors++;
    counters_.source_failing = true;
    auto d = run.backoff.next();
    spdlog::warn("worker: {} source unavailable ({}); retrying in {} ms", source_->name(),
                 err->message, d.count());
    sleep_for(d, stop);
    return false;
  }
  spdlog::info("worker: {} source started{}", source_->name(),
               run.start_from ? " at position " + *run.start_from : " at its durable position");
  run.started = true;
  counters_.source_failing = false;
  run.start_from.reset();
  return true;
}

std::chrono::milliseconds Worker::refresh_aggregates() {
  // After the source started, so that every change committed after the read is delivered
  // (and one committed before it is recognised as counted: Aggregates::apply).
  if (rebuild_due_ && std::chrono::steady_clock::now() >= next_rebuild_ && rebuild_aggregates())
    maybe_publish_snapshot(now_unix_ms(), true);

  for (auto& s : streams_)
    if (s.aggregates && s.aggregates->advance(now_unix_ms())) s.dirty = true;
  maybe_publish_snapshot(now_unix_ms(), false);
  // A pending snapshot shortens the wait for changes so that it goes out on time.
  const auto now = std::chrono::steady_clock::now();
  auto wait = kMaxPollWait;
  for (const auto& s : streams_) {
    if (!s.dirty) continue;
    auto until_snapshot = std::chrono::duration_cast<std::chrono::milliseconds>(
        s.last_snapshot + options_.snapshot_interval - now);
    wait = std::min(wait, std::clamp(until_snapshot, std::chrono::milliseconds(1), kMaxPollWait));
  }
  return wait;
}

void Worker::on_source_error(RunState& run, const SourceError& err, std::stop_token stop) {
  source_->stop();
  run.started = false;
  if (err.kind == SourceError::Kind::resnapshot_needed) {
    on_history_lost(err);
    run.start_from = std::string(ChangeSource::kFromNow);
    return;
  }
  counters_.source_errors++;
  counters_.source_failing = true;
  auto d = run.backoff.next();
  spdlog::warn("worker: {} source failed ({}); restarting in {} ms", source_->name(), err.message,
               d.count());
  sleep_for(d, stop);
}

// The stored position no longer exists in the database's history: the changes between it and
// now cannot be replayed. Say so loudly, count it, continue from the current end of the stream,
// and tell the dashboards: the next snapshot, rebuilt from the database when a store is
// configured, carries `resnapshot: true`.
void Worker::on_history_lost(const SourceError& err) {
  counters_.resnapshots++;
  for (auto& s : streams_) s.resnapshot_pending = true;
  spdlog::error(
      "worker: {} source lost its history ({}); events since the last acknowledged "
      "position are NOT delivered; continuing from now and {} (resnapshots: {})",
      source_->name(), err.message,
      rebuilds_from_history() ? "rebuilding the aggregates from the database"
                              : "publishing a resnapshot of the aggregates it has",
      counters_.resnapshots.load());
  if (rebuilds_from_history()) {
    rebuild_due_ = true;
    next_rebuild_ = {};
  } else {
    maybe_publish_snapshot(now_unix_ms(), true);
  }
}

void Worker::on_delivery(RunState& run, Delivery delivery, std::stop_token stop) {
  switch (delivery) {
    case Delivery::acknowledged:
      run.backoff.reset();
      break;
    case Delivery::stopped:
      break;
    case Delivery::source_failed:
      // The position could not be stored: re-read from the durable position (duplicates,
      // never loss).
      source_->stop();
      run.started = false;
      counters_.source_failing = true;
      sleep_for(run.backoff.next(), stop);
      break;
  }
}

Worker::Delivery Worker::deliver(const std::vector<ChangeEvent>& batch, std::stop_token stop) {
  std::vector<const ChangeEvent*> canaries;  // bypass the pipelines and the aggregates
  const std::vector<Selected> selected = select(batch, canaries);

  Backoff backoff(options_.backoff_min, options_.backoff_max);
  std::vector<json::object> published;  // parallel to `selected`
  while (!selected.empty() || !canaries.empty()) {
    if (stop.stop_requested()) return Delivery::stopped;
    if (!is_leader())
      return Delivery::stopped;  // the new leader re-reads from the durable position
    const std::int64_t published_at = now_unix_ms();
    std::vector<std::string> payloads = update_payloads(selected, published_at, published);
    for (auto& canary : canary_payloads(canaries, published_at)) payloads.push_back(canary);
    if (publish_and_wait(payloads)) break;
    counters_.publish_failures++;
    auto d = backoff.next();
    spdlog::warn(
        "worker: broker did not confirm {} updates (positions up to {}); retrying the "
        "same batch in {} ms",
        payloads.size(), batch.back().position, d.count());
    sleep_for(d, stop);
  }
  const std::int64_t confirmed_at = now_unix_ms();

  // Every selected event is with the broker (or the batch had none): the position may move.
  if (auto err = source_->acknowledge(batch.back().position)) {
    counters_.source_errors++;
    spdlog::warn(
        "worker: cannot store position {} ({}); events after the previous position "
        "will be delivered again",
        batch.back().position, err->message);
    return Delivery::source_failed;
  }
  on_acknowledged(batch, published, selected, canaries.size(), confirmed_at);
  return Delivery::acknowledged;
}

void Worker::on_acknowledged(const std::vector<ChangeEvent>& batch,
                             const std::vector<json::object>& published,
                             const std::vector<Selected>& selected, std::size_t canaries,
                             std::int64_t confirmed_at_ms) {
  std::vector<const ChangeEvent*> events;  // parallel to `published`
  for (auto& s : selected) events.push_back(s.event);
  counters_.batches_acknowledged++;
  counters_.published += published.size();
  if (!events.empty()) counters_.last_committed_at_ms = events.back()->committed_at_ms;
  note_canaries_published(canaries);
  observe_publish_latency(events, confirmed_at_ms);
  const std::int64_t now = now_unix_ms();
  for (std::size_t i = 0; i < published.size(); ++i)
    count(streams_[selected[i].stream], published[i], *events[i], now);
  note_progress(batch.back(), published.size(), batch.size(), now);
}

// Position and lag of the last acknowledged batch for /metrics and the logs; a summary line at
// most every kReportEvery.
void Worker::note_progress(const ChangeEvent& last, std::size_t published, std::size_t batch_size,
                           std::int64_t now) {
  published_since_report_ += published;
  last_position_ = last.position;
  last_lag_ms_ = now - last.committed_at_ms;
  spdlog::debug("worker: published {} of {} events, acknowledged position {}, lag {} ms", published,
                batch_size, last_position_, last_lag_ms_);
  auto steady = std::chrono::steady_clock::now();
  if (steady - last_report_ >= kReportEvery) {
    spdlog::info(
        "worker: published {} updates since last report, position {}, lag {} ms; snapshots {}, "
        "rebuilds {}, resnapshots {}, replays not counted again {}, changes re-read after a "
        "source restart {} (already acknowledged, dropped: {})",
        published_since_report_, last_position_, last_lag_ms_, counters_.snapshots.load(),
        counters_.rebuilds.load(), counters_.resnapshots.load(), counters_.replays_skipped.load(),
        source_->counters().replayed, source_->counters().skipped_acknowledged);
    published_since_report_ = 0;
    last_report_ = steady;
  }
}

bool Worker::publish_and_wait(const std::vector<std::string>& payloads,
                              const std::string* retained_field) {
  if (payloads.empty()) return true;
  // Shared with the callbacks, which may outlive this call after a timeout.
  struct Pending {
    std::mutex mutex;
    std::condition_variable cv;
    std::size_t outstanding;
    bool failed = false;
  };
  auto pending = std::make_shared<Pending>();
  pending->outstanding = payloads.size();
  for (auto& p : payloads) {
    auto done = [pending](std::error_code ec) {
      std::lock_guard lock(pending->mutex);
      if (ec) pending->failed = true;
      if (--pending->outstanding == 0 || ec) pending->cv.notify_all();
    };
    if (retained_field)
      broker_->publish_retained(options_.bridge_channel, *retained_field, p, std::move(done));
    else
      broker_->publish(options_.bridge_channel, p, std::move(done));
  }
  std::unique_lock lock(pending->mutex);
  bool settled = pending->cv.wait_for(lock, options_.publish_timeout,
                                      [&] { return pending->outstanding == 0 || pending->failed; });
  return settled && !pending->failed;
}

void Worker::maybe_publish_snapshot(std::int64_t now_ms, bool force) {
  // Until the aggregates are rebuilt, a snapshot would show less than the one before it.
  if (rebuild_due_) return;
  for (auto& s : streams_) maybe_publish_snapshot(s, now_ms, force);
}

bool Worker::rebuilds(const Stream& stream) const {
  if (!stream.aggregates) return false;
  if (stream.options.rebuild_from_history) return options_.history != nullptr;
  return options_.tables && !stream.options.time_column.empty();
}

bool Worker::rebuilds_from_history() const {
  for (const auto& s : streams_)
    if (rebuilds(s)) return true;
  return false;
}

bool Worker::rebuild_aggregates() {
  const std::int64_t now = now_unix_ms();
  for (auto& s : streams_)
    if (rebuilds(s) &&
        !(s.options.rebuild_from_history ? rebuild_stream(s, now) : rebuild_from_table(s, now)))
      return false;
  rebuilt_at_ms_ = now;
  rebuild_due_ = false;
  counters_.rebuilds++;
  return true;
}

}  // namespace pulseboard::worker
