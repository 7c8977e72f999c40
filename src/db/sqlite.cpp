#include "db/sqlite.hpp"

#include "common/backoff.hpp"
#include "db/schema.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace pulseboard::db::sqlite {

namespace {

using Clock = std::chrono::steady_clock;

// sqlite3_exec that keeps the error message.
int exec(sqlite3* db, const char* sql, std::string& error) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) error = msg ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  return rc;
}

// Runs `attempt` (an SQLite result code; it fills `error` on failure) again while it reports
// the database busy, pausing 50 ms, doubling up to 1 s, until `busy_wait` has passed. Each
// retry is logged, so a start that waits says what for.
template <class Attempt>
int retry_while_busy(std::string_view path, std::string_view what,
                     std::chrono::milliseconds busy_wait, const std::string& error,
                     Attempt&& attempt) {
  const auto deadline = Clock::now() + busy_wait;
  Backoff pauses(std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
  for (;;) {
    const int rc = attempt();
    const auto pause = pauses.next();
    if (!is_busy(rc) || Clock::now() + pause > deadline) return rc;
    spdlog::warn("sqlite: '{}' is busy while {} ({}); retrying in {} ms (gives up after {} s)",
                 path, what, error, pause.count(),
                 std::chrono::duration_cast<std::chrono::seconds>(busy_wait).count());
    std::this_thread::sleep_for(pause);
  }
}

}  // namespace

bool is_busy(int rc) {
  return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

Db open(const std::string& path, std::string& error, std::chrono::milliseconds busy_wait) {
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (the pool hands it out).
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    error = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return nullptr;
  }
  // Before any statement: the first one may already meet another process's lock.
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  rc = retry_while_busy(path, "switching to WAL", busy_wait, error,
                        [&] { return exec(raw, "PRAGMA journal_mode=WAL;", error); });
  if (rc != SQLITE_OK) return nullptr;
  return db;
}

std::optional<std::string> run_schema_setup(sqlite3* db, std::string_view path,
                                            std::chrono::milliseconds busy_wait) {
  const std::string schema(sqlite_schema_sql());
  std::string error;
  const int rc = retry_while_busy(path, "creating the schema", busy_wait, error, [&] {
    int step = exec(db, "BEGIN IMMEDIATE", error);
    if (step == SQLITE_OK) step = exec(db, schema.c_str(), error);
    if (step == SQLITE_OK) step = exec(db, "COMMIT", error);
    // A failed statement may leave the transaction open; the next attempt begins afresh.
    if (step != SQLITE_OK && !sqlite3_get_autocommit(db))
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return step;
  });
  if (rc != SQLITE_OK) return error;
  return std::nullopt;
}

Statement::Statement(sqlite3* db, std::string_view sql) {
  if (sqlite3_prepare_v2(db, sql.data(), int(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }
}

void Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), int(text.size()), SQLITE_TRANSIENT);
}
void Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
}
void Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}

int Statement::step() {
  return stmt_ ? sqlite3_step(stmt_) : SQLITE_ERROR;
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, column))
           : std::string();
}

WriteTransaction::WriteTransaction(sqlite3* db)
    : db_(db), begin_rc_(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr)) {
  open_ = begin_rc_ == SQLITE_OK;
}

WriteTransaction::~WriteTransaction() {
  if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

int WriteTransaction::commit() {
  const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) open_ = false;
  return rc;
}

}  // namespace pulseboard::db::sqlite
