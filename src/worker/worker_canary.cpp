// The worker's half of the delivery canary (docs/operations.md): the leader writes a heartbeat
// through its database (ChangeSource::emit_canary); when the change stream brings it back, it is
// published on the bridge as a message of its own kind (bridge::Canary), after the data of the
// same batch, for every gateway to time. It never enters the pipeline or the aggregates.
#include <spdlog/spdlog.h>

#include "bridge/bridge_message.hpp"
#include "common/clock.hpp"
#include "worker/worker.hpp"

namespace pulseboard::worker {
namespace {
std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void Worker::note_leading(bool leading) {
  const bool was = counters_.canary_on.load();
  if (leading && !was && options_.canary_interval.count() > 0) {
    // Age counts from here until the first canary comes back: a stream that never brings one
    // goes stale instead of looking fresh forever.
    counters_.leading_since_ns = steady_ns();
    counters_.canary_on = true;
    next_canary_ = {};
  } else if (!leading && was) {
    counters_.canary_on = false;
  }
}

void Worker::maybe_emit_canary() {
  if (!counters_.canary_on.load()) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_canary_) return;
  next_canary_ = now + options_.canary_interval;
  auto err = source_->emit_canary();
  if (!err) return;
  if (*err == changes::ChangeSource::kNoCanary) {
    counters_.canary_on = false;  // nothing will come back: no age to report
    if (!canary_unsupported_logged_)
      spdlog::warn("worker: {} source writes no delivery canary; canary age not reported",
                   source_->name());
    canary_unsupported_logged_ = true;
    return;
  }
  counters_.canary_failures++;
  spdlog::warn("worker: cannot write the delivery canary to {} ({})", source_->name(), *err);
}

std::vector<std::string> Worker::canary_payloads(
    const std::vector<const changes::ChangeEvent*>& found, std::int64_t published_at_ms) const {
  std::vector<std::string> out;
  // The canary went through but the data cannot (PostgreSQL: the table left the publication):
  // it must not vouch for a path the orders do not take.
  if (!found.empty() && !source_->health().table_published) return out;
  // Only the newest matters: it says the whole path moved up to it.
  if (!found.empty())
    out.push_back(bridge::to_json(bridge::Canary{.committed_at_ms = found.back()->committed_at_ms,
                                                 .published_at_ms = published_at_ms}));
  return out;
}

void Worker::note_canaries_published(std::size_t count) {
  if (count == 0 || !source_->health().table_published) return;
  counters_.canaries += count;
  counters_.canary_at_ns = steady_ns();
}

void Worker::observe_publish_latency(const std::vector<const changes::ChangeEvent*>& published,
                                     std::int64_t now_ms) {
  for (const auto* e : published)
    if (e->committed_at_ms > 0)
      publish_latency_.observe(static_cast<double>(now_ms - e->committed_at_ms) / 1000.0);
}

void Worker::fill_canary_stats(Stats& s) const {
  s.source_health = source_->health();
  if (!s.source_health.table_published) s.delivery_stale = true;
  // MongoDB: a restart now would soon find its resume token gone from the oplog.
  if (s.source_health.low_oplog_headroom) s.delivery_stale = true;
  s.canaries = counters_.canaries.load();
  s.canary_failures = counters_.canary_failures.load();
  if (!counters_.canary_on.load()) return;
  const std::int64_t from =
      std::max(counters_.canary_at_ns.load(), counters_.leading_since_ns.load());
  s.canary_age_seconds = static_cast<double>(steady_ns() - from) / 1e9;
  if (*s.canary_age_seconds * 1000.0 > static_cast<double>(options_.canary_stale_after.count()))
    s.delivery_stale = true;
}

}  // namespace pulseboard::worker
