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

#include "store/order_store.hpp"
#include "store/time.hpp"
#include "worker/change_source.hpp"

namespace pulseboard::worker {
namespace json = boost::json;

namespace {

constexpr const char* kPositionKey = "sqlite-outbox";
// How long one statement waits for another connection's lock, and how many times opening the
// database is tried when that was not enough (open_database).
constexpr std::chrono::milliseconds kBusyTimeout{5000};
constexpr int kOpenAttempts = 3;

// RAII for prepared statements; finalize on every path.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr); }
  ~Statement() { sqlite3_finalize(stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  explicit operator bool() const { return stmt != nullptr; }
};

std::string column_text(sqlite3_stmt* s, int i) {
  auto* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

class SqliteChangeSource final : public ChangeSource {
 public:
  SqliteChangeSource(std::string path, const SourceOptions& options)
      : path_(std::move(path)), options_(options) {}
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
      Statement q(db_, "SELECT coalesce(max(position), 0) FROM order_outbox");
      if (!q || sqlite3_step(q.stmt) != SQLITE_ROW) return fail("cannot read outbox end");
      next_ = sqlite3_column_int64(q.stmt, 0);
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
    Statement q(db_,
                "INSERT INTO worker_positions(source, position, updated_at) VALUES(?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET position = excluded.position, "
                "updated_at = excluded.updated_at "
                "WHERE CAST(worker_positions.position AS INTEGER) < "
                "CAST(excluded.position AS INTEGER)");
    if (!q) return fail("cannot prepare position update");
    sqlite3_bind_text(q.stmt, 1, kPositionKey, -1, SQLITE_STATIC);
    sqlite3_bind_text(q.stmt, 2, position.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q.stmt, 3, store::now_unix_ms());
    if (sqlite3_step(q.stmt) != SQLITE_DONE) return fail("cannot store position");
    acknowledged_ = p;
    prune();
    return std::nullopt;
  }

  void stop() override {
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

 private:
  // A fresh file that the API creates at the same instant is locked while it sets WAL mode and
  // creates the tables; a lock held past the busy timeout, or one SQLite reports without waiting
  // (a journal-mode change racing another), is retried a bounded number of times, logged, before
  // the worker's own backoff takes over. Never fatal: the worker keeps retrying start().
  std::optional<SourceError> open_database() {
    for (int attempt = 1;; ++attempt) {
      int rc =
          sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
      if (rc != SQLITE_OK) return fail("cannot open " + path_);
      // Before the first statement: every statement below waits for a lock instead of failing.
      sqlite3_busy_timeout(db_, static_cast<int>(kBusyTimeout.count()));
      rc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL;", nullptr, nullptr, nullptr);
      // The store's own DDL (idempotent), so the worker may start before the API.
      if (rc == SQLITE_OK)
        rc = sqlite3_exec(db_, std::string(store::sqlite_schema_sql()).c_str(), nullptr, nullptr,
                          nullptr);
      if (rc == SQLITE_OK) return std::nullopt;
      const int primary = rc & 0xff;
      if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || attempt >= kOpenAttempts)
        return fail("cannot prepare schema");
      spdlog::warn("worker: sqlite {} is locked ({}); preparing it again ({} of {})", path_,
                   sqlite3_errmsg(db_), attempt + 1, kOpenAttempts);
      stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(100) * attempt);
    }
  }

  SourceError fail(std::string what) {
    std::string msg = what + (db_ ? std::string(": ") + sqlite3_errmsg(db_) : std::string());
    stop();
    return SourceError{SourceError::Kind::unavailable, std::move(msg)};
  }

  std::optional<std::int64_t> stored_position() {
    Statement q(db_, "SELECT position FROM worker_positions WHERE source = ?");
    if (!q) return std::nullopt;
    sqlite3_bind_text(q.stmt, 1, kPositionKey, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q.stmt);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return std::nullopt;
    try {
      return std::stoll(column_text(q.stmt, 0));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  std::optional<SourceError> read_batch(std::size_t max_batch, std::vector<ChangeEvent>& out) {
    Statement q(db_,
                "SELECT position, operation, order_id, document, committed_at FROM order_outbox "
                "WHERE position > ? ORDER BY position LIMIT ?");
    if (!q) return fail("cannot prepare outbox read");
    sqlite3_bind_int64(q.stmt, 1, next_);
    sqlite3_bind_int64(q.stmt, 2, static_cast<sqlite3_int64>(max_batch));
    int rc;
    while ((rc = sqlite3_step(q.stmt)) == SQLITE_ROW) {
      const std::int64_t position = sqlite3_column_int64(q.stmt, 0);
      next_ = position;
      ChangeEvent e;
      e.position = std::to_string(position);
      e.event_id = "sqlite:" + e.position;
      e.committed_at_ms = sqlite3_column_int64(q.stmt, 4);
      boost::system::error_code ec;
      json::value order = json::parse(column_text(q.stmt, 3), ec);
      if (ec || !order.is_object()) {
        // A row we cannot read is skipped loudly rather than wedging the stream forever.
        spdlog::error("worker: outbox position {} has an unreadable document; skipped", position);
        continue;
      }
      json::object full = order.as_object();
      if (auto* id = full.if_contains("id")) {
        json::value key = *id;  // copy first: inserting "_id" may reallocate the object
        full.erase("id");
        full["_id"] = std::move(key);
      }
      e.document = json::object{
          {"_id", json::object{{"position", e.position}}},
          {"operationType", column_text(q.stmt, 1)},
          {"documentKey", json::object{{"_id", column_text(q.stmt, 2)}}},
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
    Statement q(db_, "DELETE FROM order_outbox WHERE position <= ? AND committed_at < ?");
    if (!q) return;
    sqlite3_bind_int64(q.stmt, 1, acknowledged_);
    sqlite3_bind_int64(q.stmt, 2, store::now_unix_ms() - options_.outbox_retention.count());
    if (sqlite3_step(q.stmt) == SQLITE_DONE && sqlite3_changes(db_) > 0)
      spdlog::info("worker: pruned {} acknowledged outbox rows", sqlite3_changes(db_));
  }

  std::string path_;
  SourceOptions options_;
  sqlite3* db_ = nullptr;
  std::int64_t acknowledged_ = 0;  // durable, in worker_positions
  std::int64_t next_ = 0;          // read cursor: last position handed out by poll()
  std::chrono::steady_clock::time_point last_prune_{};
};

}  // namespace

std::unique_ptr<ChangeSource> make_sqlite_source(std::string path, const SourceOptions& options) {
  return std::make_unique<SqliteChangeSource>(std::move(path), options);
}

}  // namespace pulseboard::worker
