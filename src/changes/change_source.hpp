#pragma once
// The change-source seam (docs/architecture.md, Seams): an ordered stream of change events with a
// durable position. Implementations: SQLite outbox table (change_source_sqlite.cpp), PostgreSQL
// logical replication with pgoutput (change_source_postgres.cpp), MongoDB change streams
// (change_source_mongo.cpp). Every method is called from the worker's own thread; calls may block
// (poll for at most max_wait).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "changes/change_event.hpp"
#include "pipeline/pipeline.hpp"

namespace pulseboard::changes {

struct SourceError {
  enum class Kind {
    unavailable,        // connection lost or refused: stop(), back off, start() again
    resnapshot_needed,  // the stored position is gone (history lost): events were missed
  };
  Kind kind = Kind::unavailable;
  std::string message;
};

// A table a PostgreSQL source publishes, and the pipelines of the streams over it (their
// push-down row filters are OR-ed into the table's).
struct FollowedTable {
  std::string name;  // `table` or `schema.table`, as the stream file names it
  std::vector<pipeline::Pipeline> pipelines;
};

struct SourceOptions {
  // The pipeline the worker runs; a source may push (part of) it down to the database.
  pipeline::Pipeline pipeline = pipeline::Pipeline::article_default();
  // Allow push-down (PostgreSQL publication row filter, MongoDB aggregation pipeline).
  bool push_down = true;
  // Where sources without a position table keep theirs (MongoDB resume token file).
  std::filesystem::path state_dir = ".";
  // SQLite: sleep between polls of an idle outbox. The latency cost of polling.
  std::chrono::milliseconds idle_poll{20};
  // SQLite: delete acknowledged outbox rows committed longer ago than this; zero keeps all.
  std::chrono::milliseconds outbox_retention{std::chrono::hours(24)};
  // PostgreSQL: the tables of the publication (every table of a stream file). Empty: `orders`
  // under `pipeline`, the default data path.
  std::vector<FollowedTable> tables;
  // PostgreSQL object names.
  std::string publication = "pulseboard_orders";
  std::string slot = "pulseboard_worker";
  // PostgreSQL: at start, terminate the backend that still holds the slot (a dead leader whose
  // connection never closed keeps it active until wal_sender_timeout). The worker starts its
  // source only while it holds the leader lease, so that holder is no longer entitled to it.
  bool take_over_slot = true;
  // PostgreSQL: how often the slot's retained WAL and the publication are sampled
  // (SourceHealth), and the retained WAL past which each sample logs a warning (0: none). The
  // slot is never dropped: that would lose changes.
  std::chrono::milliseconds health_interval{10000};
  std::int64_t max_retained_wal_bytes = 0;
  // MongoDB collection (the database comes from the URI path).
  std::string collection = "orders";
  // MongoDB: delivery is reported stale while the oplog time left behind the stored resume
  // token (SourceHealth::oplog_headroom_seconds) is under this; zero: never. Sampled every
  // health_interval.
  std::chrono::seconds min_oplog_headroom{3600};
};

// What a source re-read, for the worker's metrics. Read from any thread.
struct SourceCounters {
  // Changes streamed again after a restart of the source in this process: at or before the
  // furthest position it had already read (the unacknowledged rest is delivered again, by
  // design; an acknowledged one should not come back).
  std::uint64_t replayed = 0;
  // Changes at or before the durable acknowledged position that the database sent anyway,
  // dropped by the source instead of delivered again.
  std::uint64_t skipped_acknowledged = 0;
};

// What a source can tell about the database's side of the stream (PostgreSQL: its slot and
// publication), sampled now and then on an ordinary connection. Read from any thread.
struct SourceHealth {
  bool sampled = false;                 // false: this source reports none (yet)
  std::int64_t retained_wal_bytes = 0;  // current WAL end minus the slot's restart_lsn
  std::int64_t flush_lag_bytes = 0;     // current WAL end minus the slot's confirmed flush
  bool table_published = true;          // the followed table is in the publication
  bool over_retained_wal = false;       // retained_wal_bytes past max_retained_wal_bytes
  // MongoDB (`sampled` stays false: it is about the slot): the oplog time between its oldest
  // entry and the stored resume token's (mongo_oplog_headroom.hpp); unset until sampled.
  std::optional<double> oplog_headroom_seconds{};
  bool low_oplog_headroom = false;  // under min_oplog_headroom, on an oplog that wrapped
};

class ChangeSource {
 public:
  // start() argument meaning "skip to the current end of the stream" (after resnapshot_needed).
  static constexpr std::string_view kFromNow = "now";

  virtual ~ChangeSource() = default;
  virtual std::string name() const = 0;  // "sqlite" | "postgres" | "mongo"
  // nullopt resumes after the durable (last acknowledged) position; a position resumes after
  // it; kFromNow starts at the current end. May block (connects). Restartable after stop().
  virtual std::optional<SourceError> start(std::optional<std::string> resume_position) = 0;
  // Up to max_batch events in commit order, waiting at most max_wait for the first one. An
  // empty vector means nothing new.
  virtual std::variant<std::vector<ChangeEvent>, SourceError> poll(
      std::chrono::milliseconds max_wait, std::size_t max_batch) = 0;
  // Durable: only positions whose events the broker accepted. Never moves backwards.
  virtual std::optional<SourceError> acknowledge(const std::string& position) = 0;
  virtual void stop() = 0;
  // True when the source already ran the whole pipeline in the database, so events carry the
  // projected document instead of the change-event shape (MongoDB with push-down).
  virtual bool pipeline_applied() const { return false; }
  // Thread-safe; sources that cannot tell report zeros.
  virtual SourceCounters counters() const { return {}; }
  // Writes one delivery canary through the database, into what this source follows, so that it
  // comes back from poll() as a ChangeEvent with `canary` set (docs/operations.md). Called only
  // while started. nullopt when written; the reason otherwise (kNoCanary: this source has none).
  virtual std::optional<std::string> emit_canary() { return std::string(kNoCanary); }
  static constexpr std::string_view kNoCanary = "this change source writes no canary";
  // The last sample of the database's side; thread-safe.
  virtual SourceHealth health() const { return {}; }
};

// DATABASE_URL forms: db/database_url.hpp (the API's store reads the same ones). nullptr with
// the parser's message in *error for anything else.
std::unique_ptr<ChangeSource> open_change_source(std::string_view database_url,
                                                 const SourceOptions& options,
                                                 std::string* error = nullptr);

std::unique_ptr<ChangeSource> make_sqlite_source(std::string path, const SourceOptions& options);
std::unique_ptr<ChangeSource> make_postgres_source(std::string conninfo,
                                                   const SourceOptions& options);
std::unique_ptr<ChangeSource> make_mongo_source(std::string uri, const SourceOptions& options);

}  // namespace pulseboard::changes
