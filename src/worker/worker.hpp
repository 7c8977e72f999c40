#pragma once
// The isolated change-stream worker (the article's worker.js): follows a change source, runs
// the pipeline, publishes every projected event to the bridge channel, keeps windowed
// aggregates and publishes them as a retained snapshot.
//
// Delivery is at least once: a batch's last position is acknowledged to the source only after
// the broker confirmed every publish of that batch. A failed publish is retried with the same
// eventIds, so duplicates downstream are recognisable; nothing is lost across restarts.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/broker.hpp"
#include "changes/change_source.hpp"
#include "changes/table_reader.hpp"
#include "common/latency_histogram.hpp"
#include "pipeline/pipeline.hpp"
#include "store/order_store.hpp"
#include "streams/aggregates.hpp"
#include "worker/leadership.hpp"

namespace pulseboard::worker {

// One declared stream (docs/streams.md): the changes of `table` its pipeline keeps go to its rooms
// as `event`; its aggregates go to the same rooms as the retained `snapshot_event`.
struct StreamOptions {
  std::string name;
  // The ChangeEvent::table it takes: `table` or `schema.table`; a bare name also takes the same
  // table of any schema the source reports, and a qualified one the bare name of a source that
  // reports no schema (SQLite). Empty: every change.
  std::string table;
  pipeline::Pipeline pipeline = pipeline::Pipeline::article_default();
  std::vector<std::string> rooms;
  std::string event;
  std::string snapshot_event;
  std::string key = "id";  // projected field keying the aggregates (else documentKey._id)
  std::optional<streams::AggregateSpec> aggregate;  // none: rows are only forwarded
  // Its rows are the orders Options::history reads: rebuilt from there (the orders table).
  bool rebuild_from_history = false;
  // The column of `table` the aggregates' time field projects ("$fullDocument.<column>"): the
  // other streams are rebuilt from their table's newest rows by it (Options::tables). Empty:
  // not a column; such a stream starts empty.
  std::string time_column;
};

// The source column a projected field copies: `field` of the last inclusion $project whose value
// is "$fullDocument.<column>" (one level); empty otherwise.
std::string source_column_of(const pipeline::Pipeline& pipeline, const std::string& field);

// Every stream of a checked stream file, in its order. A stream over the `orders` table is
// rebuilt from the store (Options::history); the others start empty.
std::vector<StreamOptions> streams_of(const streams::StreamsConfig& config);

// True when `stream` takes `event` (by table).
bool takes(const StreamOptions& stream, const changes::ChangeEvent& event);

class Worker {
 public:
  struct Options {
    // The streams this worker runs, over its one source (one durable position). Empty: one
    // stream over every change from room/event/snapshot_event/pipeline_json/aggregates below
    // (the orders dashboard, rebuilt from `history`).
    std::vector<StreamOptions> streams;
    std::string bridge_channel = "socket-io-bridge";
    std::string room = "live-metrics";
    std::string event = "metrics-update";
    std::string snapshot_event = "metrics-snapshot";
    std::chrono::milliseconds snapshot_interval{1000};
    std::string pipeline_json;  // empty: the article's pipeline
    std::size_t batch = 256;
    // How long to wait for the broker to confirm a batch before treating it as failed.
    std::chrono::milliseconds publish_timeout{10000};
    // Retry delays after a failure double from min to max.
    std::chrono::milliseconds backoff_min{100};
    std::chrono::milliseconds backoff_max{5000};
    // Only poll and publish while this says so; null means always (a single worker).
    std::shared_ptr<const Leadership> leadership;
    // Overrides the source's durable position for the first start (ChangeSource::start).
    std::optional<std::string> start_position;
    // The windowed aggregates published as the snapshot (docs/streams.md). Unset: the built-in
    // orders example's (examples/orders.toml), exactly the orders dashboard.
    std::optional<streams::AggregateSpec> aggregates;
    // The snapshot is published again when unchanged for this long, so the broker's stored copy
    // comes back after a Redis restart that lost it (docs/snapshots.md). Zero: only on change.
    std::chrono::milliseconds snapshot_refresh{30000};
    // Where the aggregates are rebuilt from whenever this worker starts leading and after a
    // source lost its history (rollup_history.hpp). Null: they start empty. While a rebuild is
    // due, no snapshot is published (a partial one would make totals go backwards); a failed
    // rebuild is retried every backoff_max.
    std::shared_ptr<store::OrderStore> history;
    std::size_t history_limit = 200'000;  // orders (rows) read per rebuild, newest first
    // Where the streams over other tables are rebuilt from (changes::TableReader: their newest
    // `history_limit` rows by their time column), at the same moments. Null: they start empty.
    std::shared_ptr<changes::TableReader> tables;
    // The leader writes a delivery canary through the database this often (ChangeSource::
    // emit_canary) and publishes it on the bridge when the stream brings it back
    // (docs/operations.md). Zero: no canary (`pulseboard worker` sets 5000 unless
    // --canary-interval-ms says otherwise).
    std::chrono::milliseconds canary_interval{0};
    // Delivery is stale once no canary came back for this long (Stats::delivery_stale).
    std::chrono::milliseconds canary_stale_after{15000};
  };

  struct Stats {
    std::uint64_t published = 0;  // metrics-update messages the broker confirmed
    std::uint64_t batches_acknowledged = 0;
    std::uint64_t publish_failures = 0;  // batch attempts that failed and were retried
    std::uint64_t source_errors = 0;     // unavailable: restarted with backoff
    std::uint64_t resnapshots = 0;       // history lost: skipped to the current position
    std::uint64_t snapshots = 0;         // metrics-snapshot messages published
    std::uint64_t rebuilds = 0;          // aggregates rebuilt from the database
    std::uint64_t rebuild_failures = 0;  // the database could not be read; retried
    // Published changes the aggregates did not count again: already counted at that version or a
    // later one (a replay after a source restart, a retried batch, or after a rebuild).
    std::uint64_t replays_skipped = 0;
    // Commit time (ms since the epoch) of the last event the broker confirmed; 0 before one.
    std::int64_t last_committed_at_ms = 0;
    // The leader's source failed to start or to deliver and is backing off; cleared once it
    // starts again (or this worker stands by).
    bool source_failing = false;
    // ChangeSource::counters(): changes streamed again after the source restarted, and those
    // among them already acknowledged (dropped by the source, not delivered again).
    std::uint64_t replayed_changes = 0;
    std::uint64_t acknowledged_skipped = 0;
    // Delivery canary (docs/operations.md), on the leader of a source that writes one: seconds
    // since the last canary came back from the stream and the broker confirmed it, or, before
    // the first, since this worker started leading. Unset otherwise.
    std::optional<double> canary_age_seconds{};
    std::uint64_t canaries = 0;         // canaries read back and published
    std::uint64_t canary_failures = 0;  // canaries the database did not take
    bool delivery_stale = false;        // canary_age_seconds past canary_stale_after
    // ChangeSource::health(): a followed table missing from the publication also makes
    // delivery stale (and the worker withholds canaries, so every gateway says so too).
    changes::SourceHealth source_health{};
    // Per stream with aggregates, in the file's order: rows its aggregates counted (added or
    // replaced; replays skipped are not) and rows older than its window (only in `recent`).
    struct StreamRows {
      std::string name;
      std::uint64_t applied = 0;
      std::uint64_t late = 0;
    };
    std::vector<StreamRows> streams{};
  };

  // Throws std::invalid_argument when options.pipeline_json does not parse (a startup error).
  Worker(std::unique_ptr<changes::ChangeSource> source, std::shared_ptr<broker::Broker> broker,
         Options options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Blocking; run it on its own thread. Returns after stop is requested (within ~200 ms plus
  // any in-flight broker wait) with the source stopped.
  void run(std::stop_token stop);

  Stats stats() const;
  // Commit -> broker confirmed, per metrics-update message published (docs/operations.md).
  const LatencyHistogram& publish_latency() const { return publish_latency_; }

 private:
  struct Counters {
    std::atomic<std::uint64_t> published{0}, batches_acknowledged{0}, publish_failures{0},
        source_errors{0}, resnapshots{0}, snapshots{0}, rebuilds{0}, rebuild_failures{0},
        replays_skipped{0};
    // Written by run(), read by stats() from any thread (the worker's HTTP port).
    std::atomic<std::int64_t> last_committed_at_ms{0};
    std::atomic<bool> source_failing{false};
    std::atomic<std::uint64_t> canaries{0}, canary_failures{0};
    // Steady-clock nanoseconds: when the last canary was published; when leading began.
    std::atomic<std::int64_t> canary_at_ns{0}, leading_since_ns{0};
    std::atomic<bool> canary_on{false};  // the source writes canaries and this worker leads
  };
  enum class Delivery { acknowledged, stopped, source_failed };

  struct RunState;
  // A stream and what the worker keeps of it.
  struct Stream {
    StreamOptions options;
    std::optional<streams::Aggregates> aggregates;
    bool dirty = false;               // changed since its last snapshot
    bool resnapshot_pending = false;  // its next snapshot carries `resnapshot: true`
    // Stats::StreamRows, written by run(), read by stats() from any thread.
    std::shared_ptr<std::atomic<std::uint64_t>> applied =
        std::make_shared<std::atomic<std::uint64_t>>(0);
    std::shared_ptr<std::atomic<std::uint64_t>> late =
        std::make_shared<std::atomic<std::uint64_t>>(0);
    std::chrono::steady_clock::time_point last_snapshot{};
  };
  // A change the pipeline of stream `stream` kept, and its projection.
  struct Selected {
    const changes::ChangeEvent* event;
    std::size_t stream;
    boost::json::object projected;
  };
  // The steps of run(), in the order each turn of its loop takes them.
  bool stand_by(RunState& run, std::stop_token stop);        // true: not the leader, waited
  bool ensure_started(RunState& run, std::stop_token stop);  // false: start failed, waited
  std::chrono::milliseconds refresh_aggregates();            // returns how long to poll
  void on_source_error(RunState& run, const changes::SourceError& err, std::stop_token stop);
  void on_history_lost(const changes::SourceError& err);
  void on_delivery(RunState& run, Delivery delivery, std::stop_token stop);

  // The bookkeeping of a batch whose position the source stored: `published` (the data of each
  // update) and `events` (its change) are parallel.
  void on_acknowledged(const std::vector<changes::ChangeEvent>& batch,
                       const std::vector<boost::json::object>& published,
                       const std::vector<Selected>& selected, std::size_t canaries,
                       std::int64_t confirmed_at_ms);
  std::vector<Selected> select(const std::vector<changes::ChangeEvent>& batch,
                               std::vector<const changes::ChangeEvent*>& canaries) const;
  std::vector<std::string> update_payloads(const std::vector<Selected>& selected,
                                           std::int64_t published_at,
                                           std::vector<boost::json::object>& published) const;
  void note_progress(const changes::ChangeEvent& last, std::size_t published,
                     std::size_t batch_size, std::int64_t now);
  bool is_leader() const;
  Delivery deliver(const std::vector<changes::ChangeEvent>& batch, std::stop_token stop);
  // With `retained_field`, each payload is published with Broker::publish_retained.
  bool publish_and_wait(const std::vector<std::string>& payloads,
                        const std::string* retained_field = nullptr);
  void maybe_publish_snapshot(std::int64_t now_ms, bool force);
  void maybe_publish_snapshot(Stream& stream, std::int64_t now_ms, bool force);
  bool rebuild_aggregates();
  bool rebuilds_from_history() const;  // a history is set and a stream with aggregates reads it
  bool rebuild_stream(Stream& stream, std::int64_t now);
  bool rebuild_from_table(Stream& stream, std::int64_t now);
  bool rebuilds(const Stream& stream) const;  // it has aggregates and a place to rebuild from
  void note_rebuild_failure(const Stream& stream, const std::string& why);
  // Counts one published update in its stream's aggregates, idempotently per row
  // (Aggregates::apply).
  void count(Stream& stream, const boost::json::object& data, const changes::ChangeEvent& event,
             std::int64_t now_ms);
  void count_row(Stream& stream, const boost::json::object& data, const changes::ChangeEvent& event,
                 std::int64_t now_ms);
  void sleep_for(std::chrono::milliseconds d, std::stop_token stop);
  // The canary (worker_canary.cpp): written every canary_interval while leading and started;
  // the ones a batch brought back are published after its data.
  void maybe_emit_canary();
  void note_leading(bool leading);
  std::vector<std::string> canary_payloads(const std::vector<const changes::ChangeEvent*>& found,
                                           std::int64_t published_at_ms) const;
  void note_canaries_published(std::size_t count);
  void observe_publish_latency(const std::vector<const changes::ChangeEvent*>& published,
                               std::int64_t now_ms);
  void fill_canary_stats(Stats& s) const;

  std::unique_ptr<changes::ChangeSource> source_;
  std::shared_ptr<broker::Broker> broker_;
  Options options_;
  std::vector<Stream> streams_;
  bool rebuild_due_ = false;  // with options_.history: before the next snapshot
  std::chrono::steady_clock::time_point next_rebuild_{};
  std::int64_t rebuilt_at_ms_ = 0;
  Counters counters_;
  // Progress log, once every few seconds rather than per batch.
  std::chrono::steady_clock::time_point last_report_{};
  std::uint64_t published_since_report_ = 0;
  std::string last_position_;
  std::int64_t last_lag_ms_ = 0;
  std::chrono::steady_clock::time_point next_canary_{};
  bool canary_unsupported_logged_ = false;
  LatencyHistogram publish_latency_;
};

// The data of the metrics-update message for one projected document: the projection minus its
// `_id`, plus eventId/committedAt/publishedAt.
boost::json::object metrics_update_data(const boost::json::object& projected,
                                        const changes::ChangeEvent& event,
                                        std::int64_t published_at_ms);

}  // namespace pulseboard::worker
