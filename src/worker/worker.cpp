#include "worker/worker.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include "common/json_text.hpp"

namespace pulseboard::worker {
namespace json = boost::json;

namespace {

constexpr std::chrono::milliseconds kMaxPollWait{200};
constexpr std::chrono::seconds kReportEvery{10};

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Pipeline load_pipeline(const std::string& text) {
  if (text.empty()) return Pipeline::article_default();
  auto parsed = Pipeline::parse(text);
  if (auto* err = std::get_if<PipelineError>(&parsed)) throw std::invalid_argument(err->message);
  return std::get<Pipeline>(std::move(parsed));
}

class Backoff {
 public:
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max) : min_(min), max_(max) {}
  std::chrono::milliseconds next() {
    auto d = current_;
    current_ = std::min(max_, current_ * 2);
    return d;
  }
  void reset() { current_ = min_; }

 private:
  std::chrono::milliseconds min_, max_, current_ = min_;
};

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

std::string metrics_update_message(const Worker::Options& options, const json::object& projected,
                                   const ChangeEvent& event, std::int64_t published_at_ms) {
  return to_json_text(json::object{
      {"room", options.room},
      {"event", options.event},
      {"data", metrics_update_data(projected, event, published_at_ms)},
  });
}

Worker::Worker(std::unique_ptr<ChangeSource> source, std::shared_ptr<broker::Broker> broker,
               Options options)
    : source_(std::move(source)),
      broker_(std::move(broker)),
      options_(std::move(options)),
      pipeline_(load_pipeline(options_.pipeline_json)),
      rollup_(options_.rollup) {
  if (!source_ || !broker_)
    throw std::invalid_argument("worker needs a change source and a broker");
  if (options_.batch == 0) options_.batch = 1;
}

Worker::~Worker() = default;

Worker::Stats Worker::stats() const {
  return Stats{counters_.published.load(),        counters_.batches_acknowledged.load(),
               counters_.publish_failures.load(), counters_.source_errors.load(),
               counters_.resnapshots.load(),      counters_.snapshots.load()};
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

void Worker::run(std::stop_token stop) {
  spdlog::info(
      "worker: started; source {}, channel '{}', room '{}', pipeline {}", source_->name(),
      options_.bridge_channel, options_.room,
      pipeline_.is_article_default() ? "article default" : json::serialize(pipeline_.to_json()));
  Backoff backoff(options_.backoff_min, options_.backoff_max);
  std::optional<std::string> start_from = options_.start_position;
  bool started = false;
  bool standby_logged = false;

  while (!stop.stop_requested()) {
    if (!is_leader()) {
      if (started) {
        // Another worker holds the lease: release the source (a PostgreSQL slot admits one
        // reader) and publish nothing until we lead again.
        source_->stop();
        started = false;
      }
      if (!standby_logged) spdlog::info("worker: standby (not the leader)");
      standby_logged = true;
      sleep_for(std::chrono::milliseconds(100), stop);
      continue;
    }
    standby_logged = false;

    if (!started) {
      if (auto err = source_->start(start_from)) {
        counters_.source_errors++;
        auto d = backoff.next();
        spdlog::warn("worker: {} source unavailable ({}); retrying in {} ms", source_->name(),
                     err->message, d.count());
        sleep_for(d, stop);
        continue;
      }
      spdlog::info("worker: {} source started{}", source_->name(),
                   start_from ? " at position " + *start_from : " at its durable position");
      started = true;
      start_from.reset();
    }

    const auto now = std::chrono::steady_clock::now();
    if (rollup_.advance(wall_ms())) rollup_dirty_ = true;
    maybe_publish_snapshot(wall_ms(), false);
    auto until_snapshot = std::chrono::duration_cast<std::chrono::milliseconds>(
        last_snapshot_ + options_.snapshot_interval - now);
    auto wait = rollup_dirty_
                    ? std::clamp(until_snapshot, std::chrono::milliseconds(1), kMaxPollWait)
                    : kMaxPollWait;

    auto polled = source_->poll(wait, options_.batch);
    if (auto* err = std::get_if<SourceError>(&polled)) {
      source_->stop();
      started = false;
      if (err->kind == SourceError::Kind::resnapshot_needed) {
        // The stored position no longer exists in the database's history: the changes between
        // it and now cannot be replayed. Say so loudly, count it, and continue from the current
        // end of the stream; aggregates keep what this process saw.
        counters_.resnapshots++;
        spdlog::error(
            "worker: {} source lost its history ({}); events since the last "
            "acknowledged position are NOT delivered; continuing from now",
            source_->name(), err->message);
        start_from = std::string(ChangeSource::kFromNow);
        maybe_publish_snapshot(wall_ms(), true);
        continue;
      }
      counters_.source_errors++;
      auto d = backoff.next();
      spdlog::warn("worker: {} source failed ({}); restarting in {} ms", source_->name(),
                   err->message, d.count());
      sleep_for(d, stop);
      continue;
    }

    auto& batch = std::get<std::vector<ChangeEvent>>(polled);
    if (batch.empty()) continue;
    switch (deliver(batch, stop)) {
      case Delivery::acknowledged:
        backoff.reset();
        break;
      case Delivery::stopped:
        break;
      case Delivery::source_failed:
        // The position could not be stored: re-read from the durable position (duplicates,
        // never loss).
        source_->stop();
        started = false;
        sleep_for(backoff.next(), stop);
        break;
    }
  }
  if (started) source_->stop();
  spdlog::info("worker: stopped; published {} updates, last position {}",
               counters_.published.load(), last_position_.empty() ? "-" : last_position_);
}

Worker::Delivery Worker::deliver(const std::vector<ChangeEvent>& batch, std::stop_token stop) {
  struct Selected {
    const ChangeEvent* event;
    json::object projected;
  };
  std::vector<Selected> selected;
  for (auto& e : batch) {
    if (source_->pipeline_applied()) {
      selected.push_back({&e, e.document});
    } else if (auto doc = pipeline_.apply(e.document)) {
      selected.push_back({&e, std::move(*doc)});
    }
  }

  Backoff backoff(options_.backoff_min, options_.backoff_max);
  std::vector<json::object> published;
  while (!selected.empty()) {
    if (stop.stop_requested()) return Delivery::stopped;
    if (!is_leader())
      return Delivery::stopped;  // the new leader re-reads from the durable position
    const std::int64_t published_at = wall_ms();
    std::vector<std::string> payloads;
    published.clear();
    for (auto& s : selected) {
      published.push_back(metrics_update_data(s.projected, *s.event, published_at));
      payloads.push_back(to_json_text(json::object{
          {"room", options_.room}, {"event", options_.event}, {"data", published.back()}}));
    }
    if (publish_and_wait(payloads)) break;
    counters_.publish_failures++;
    auto d = backoff.next();
    spdlog::warn(
        "worker: broker did not confirm {} updates (positions up to {}); retrying the "
        "same batch in {} ms",
        payloads.size(), batch.back().position, d.count());
    sleep_for(d, stop);
  }

  // Every selected event is with the broker (or the batch had none): the position may move.
  if (auto err = source_->acknowledge(batch.back().position)) {
    counters_.source_errors++;
    spdlog::warn(
        "worker: cannot store position {} ({}); events after the previous position "
        "will be delivered again",
        batch.back().position, err->message);
    return Delivery::source_failed;
  }
  counters_.batches_acknowledged++;
  counters_.published += published.size();
  const std::int64_t now = wall_ms();
  for (auto& data : published) rollup_.add(data, now);
  if (!published.empty()) rollup_dirty_ = true;

  published_since_report_ += published.size();
  last_position_ = batch.back().position;
  last_lag_ms_ = now - batch.back().committed_at_ms;
  spdlog::debug("worker: published {} of {} events, acknowledged position {}, lag {} ms",
                published.size(), batch.size(), last_position_, last_lag_ms_);
  auto steady = std::chrono::steady_clock::now();
  if (steady - last_report_ >= kReportEvery) {
    spdlog::info("worker: published {} updates since last report, position {}, lag {} ms",
                 published_since_report_, last_position_, last_lag_ms_);
    published_since_report_ = 0;
    last_report_ = steady;
  }
  return Delivery::acknowledged;
}

bool Worker::publish_and_wait(const std::vector<std::string>& payloads) {
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
    broker_->publish(options_.bridge_channel, p, [pending](std::error_code ec) {
      std::lock_guard lock(pending->mutex);
      if (ec) pending->failed = true;
      if (--pending->outstanding == 0 || ec) pending->cv.notify_all();
    });
  }
  std::unique_lock lock(pending->mutex);
  bool settled = pending->cv.wait_for(lock, options_.publish_timeout,
                                      [&] { return pending->outstanding == 0 || pending->failed; });
  return settled && !pending->failed;
}

void Worker::maybe_publish_snapshot(std::int64_t now_ms, bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && (!rollup_dirty_ || now - last_snapshot_ < options_.snapshot_interval)) return;
  json::object message{
      {"room", options_.room},
      {"event", options_.snapshot_event},
      {"retain", true},
      {"data", rollup_.snapshot(now_ms)},
  };
  last_snapshot_ = now;
  if (publish_and_wait({to_json_text(message)})) {
    rollup_dirty_ = false;
    counters_.snapshots++;
  } else {
    spdlog::warn("worker: broker did not confirm the metrics snapshot; will retry");
  }
}

}  // namespace pulseboard::worker
