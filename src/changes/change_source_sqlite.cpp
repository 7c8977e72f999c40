// SQLite change source: tails the transactional outbox `order_outbox` by its rowid position.
// SQLite has one writer at a time, so a position becomes visible only after every smaller one
// has committed or rolled back: tailing `position > last` never skips a row (gaps from
// rollbacks are harmless). There is no cross-process notification in SQLite (update hooks fire
// only in the writing connection), so an idle outbox is polled every `idle_poll` (20 ms by
// default): that interval is the added latency of this source.
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "changes/change_source.hpp"
#include "changes/event_id.hpp"
#include "changes/sqlite_outbox_triggers.hpp"
#include "common/clock.hpp"
#include "db/sqlite.hpp"

namespace pulseboard::changes {
namespace json = boost::json;

namespace {

constexpr const char* kPositionKey = "sqlite-outbox";
// The outbox operation of a delivery canary row (emit_canary); orders are insert or update.
constexpr std::string_view kCanaryOperation = "canary";
// How long opening the database retries a lock held by a process starting at the same instant
// (setting WAL mode, creating the schema) before the worker's own backoff takes over: three of
// SQLite's 5 s busy timeouts. The worker retries start() without limit after that.
constexpr std::chrono::milliseconds kOpenBusyWait{15'000};

using db::sqlite::Statement;

class SqliteChangeSource final : public ChangeSource {
 public:
  SqliteChangeSource(std::string path, const SourceOptions& options,
                     std::vector<std::string> tables)
      : path_(std::move(path)), options_(options), tables_(std::move(tables)) {}
  ~SqliteChangeSource() override { stop(); }

  std::string name() const override { return "sqlite"; }

  std::optional<SourceError> start(std::optional<std::string> resume) override {
    stop();
    if (auto err = open_database()) return err;

    auto stored = stored_position();
    if (!stored) return fail("cannot read worker_positions");
    acknowledged_ = *stored;
    if (!resume) {
      next_ = acknowledged_;
    } else if (*resume == kFromNow) {
      Statement q(db_.get(), "SELECT coalesce(max(position), 0) FROM order_outbox");
      if (!q.ok() || q.step() != SQLITE_ROW) return fail("cannot read outbox end");
      next_ = q.integer(0);
    } else {
      try {
        next_ = std::stoll(*resume);
      } catch (const std::exception&) {
        return SourceError{SourceError::Kind::unavailable, "invalid SQLite position " + *resume};
      }
    }
    spdlog::info("worker: sqlite source {} resuming after outbox position {}", path_, next_);
    return std::nullopt;
  }

  std::variant<std::vector<ChangeEvent>, SourceError> poll(std::chrono::milliseconds max_wait,
                                                           std::size_t max_batch) override {
    if (!db_) return SourceError{SourceError::Kind::unavailable, "sqlite source not started"};
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    while (true) {
      std::vector<ChangeEvent> events;
      if (auto err = read_batch(max_batch, events)) return *err;
      if (!events.empty()) return events;
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return events;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(options_.idle_poll, deadline - now));
    }
  }

  std::optional<SourceError> acknowledge(const std::string& position) override {
    if (!db_) return SourceError{SourceError::Kind::unavailable, "sqlite source not started"};
    std::int64_t p = std::stoll(position);
    if (p <= acknowledged_) return std::nullopt;
    // Only forward: another worker (an old leader acknowledging after it lost the lease) may
    // have stored a later position, and moving back would replay what it delivered.
    Statement q(db_.get(),
                "INSERT INTO worker_positions(source, position, updated_at) VALUES(?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET position = excluded.position, "
                "updated_at = excluded.updated_at "
                "WHERE CAST(worker_positions.position AS INTEGER) < "
                "CAST(excluded.position AS INTEGER)");
    if (!q.ok()) return fail("cannot prepare position update");
    q.bind(1, std::string_view(kPositionKey));
    q.bind(2, std::string_view(position));
    q.bind(3, std::int64_t{now_unix_ms()});
    if (q.step() != SQLITE_DONE) return fail("cannot store position");
    acknowledged_ = p;
    prune();
    return std::nullopt;
  }

  void stop() override { db_.reset(); }

  // An outbox row of its own operation: it takes exactly the path (and the wait) of an order's.
  std::optional<std::string> emit_canary() override {
    if (!db_) return std::string("sqlite source not started");
    Statement q(db_.get(),
                "INSERT INTO order_outbox (operation, order_id, document, committed_at) "
                "VALUES (?, '', '{}', ?)");
    if (!q.ok()) return std::string(sqlite3_errmsg(db_.get()));
    q.bind(1, std::string_view(kCanaryOperation));
    q.bind(2, std::int64_t{now_unix_ms()});
    if (q.step() != SQLITE_DONE) return std::string(sqlite3_errmsg(db_.get()));
    return std::nullopt;
  }

 private:
  // A fresh file that the API creates at the same instant is locked while it sets WAL mode and
  // creates the tables: db::sqlite retries that, logged, for kOpenBusyWait. The schema is the
  // store's own (idempotent), so the worker may start before the API. Never fatal: the worker
  // keeps retrying start().
  std::optional<SourceError> open_database() {
    std::string error;
    db_ = db::sqlite::open(path_, error, kOpenBusyWait);
    if (!db_) return fail("cannot open " + path_ + ": " + error);
    if (auto err = db::sqlite::run_schema_setup(db_.get(), path_, kOpenBusyWait))
      return fail("cannot prepare schema: " + *err);
    if (auto err = install_outbox_triggers(db_.get(), tables_))
      return fail("cannot install the outbox triggers: " + *err);
    return std::nullopt;
  }

  SourceError fail(std::string what) {
    std::string msg = what + (db_ ? std::string(": ") + sqlite3_errmsg(db_.get()) : std::string());
    stop();
    return SourceError{SourceError::Kind::unavailable, std::move(msg)};
  }

  std::optional<std::int64_t> stored_position() {
    Statement q(db_.get(), "SELECT position FROM worker_positions WHERE source = ?");
    if (!q.ok()) return std::nullopt;
    q.bind(1, std::string_view(kPositionKey));
    int rc = q.step();
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return std::nullopt;
    try {
      return std::stoll(q.text(0));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  std::optional<SourceError> read_batch(std::size_t max_batch, std::vector<ChangeEvent>& out) {
    Statement q(db_.get(),
                "SELECT position, operation, order_id, document, committed_at, source_table "
                "FROM order_outbox WHERE position > ? ORDER BY position LIMIT ?");
    if (!q.ok()) return fail("cannot prepare outbox read");
    q.bind(1, std::int64_t{next_});
    q.bind(2, static_cast<std::int64_t>(max_batch));
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      const std::int64_t position = q.integer(0);
      next_ = position;
      ChangeEvent e;
      e.position = std::to_string(position);
      e.event_id = sqlite_event_id(position);
      e.table = q.text(5);
      e.committed_at_ms = q.integer(4);
      if (q.text(1) == kCanaryOperation) {
        e.canary = true;
        out.push_back(std::move(e));
        continue;
      }
      boost::system::error_code ec;
      json::value order = json::parse(q.text(3), ec);
      if (ec || !order.is_object()) {
        // A row we cannot read is skipped loudly rather than wedging the stream forever.
        spdlog::error("worker: outbox position {} has an unreadable document; skipped", position);
        continue;
      }
      json::object full = order.as_object();
      // An order (written by the API's store) takes the change-event shape's `_id`; a row a
      // trigger copied keeps its columns' own names, as the stream file refers to them.
      if (auto* id = e.table == "orders" ? full.if_contains("id") : nullptr) {
        json::value key = *id;  // copy first: inserting "_id" may reallocate the object
        full.erase("id");
        full["_id"] = std::move(key);
      }
      e.document = json::object{
          {"_id", json::object{{"position", e.position}}},
          {"operationType", q.text(1)},
          {"documentKey", json::object{{"_id", q.text(2)}}},
          {"fullDocument", std::move(full)},
          {"committedAt", e.committed_at_ms},
      };
      out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return fail("cannot read outbox");
    return std::nullopt;
  }

  // Bounds outbox growth: rows already acknowledged and older than the retention go. At most
  // once a minute, so acknowledging stays cheap.
  void prune() {
    if (options_.outbox_retention.count() <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_prune_ < std::chrono::minutes(1)) return;
    last_prune_ = now;
    Statement q(db_.get(), "DELETE FROM order_outbox WHERE position <= ? AND committed_at < ?");
    if (!q.ok()) return;
    q.bind(1, std::int64_t{acknowledged_});
    q.bind(2, std::int64_t{now_unix_ms() - options_.outbox_retention.count()});
    if (q.step() == SQLITE_DONE && sqlite3_changes(db_.get()) > 0)
      spdlog::info("worker: pruned {} acknowledged outbox rows", sqlite3_changes(db_.get()));
  }

  std::string path_;
  SourceOptions options_;
  std::vector<std::string> tables_;  // followed besides orders: filled by outbox triggers
  db::sqlite::Db db_;
  std::int64_t acknowledged_ = 0;  // durable, in worker_positions
  std::int64_t next_ = 0;          // read cursor: last position handed out by poll()
  std::chrono::steady_clock::time_point last_prune_{};
};

}  // namespace

std::unique_ptr<ChangeSource> make_sqlite_source(std::string path, const SourceOptions& options) {
  return std::make_unique<SqliteChangeSource>(std::move(path), options, std::vector<std::string>{});
}

std::unique_ptr<ChangeSource> make_sqlite_source(std::string path, const SourceOptions& options,
                                                 std::vector<std::string> tables) {
  return std::make_unique<SqliteChangeSource>(std::move(path), options, std::move(tables));
}

}  // namespace pulseboard::changes
