#pragma once
// Thin RAII over the SQLite3 C API for the order store and the change source: a connection, a
// prepared statement with typed binds and columns, and a transaction that rolls back unless
// committed.
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard::db::sqlite {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

// How long each statement waits for a lock held by another connection before SQLITE_BUSY.
inline constexpr int kBusyTimeoutMs = 5000;
// How long a process starting up keeps retrying a database that another process holds busy
// (switching it to WAL, creating the schema) before it gives up. busy_timeout alone is not
// enough: SQLite returns SQLITE_BUSY at once, without waiting, when waiting could deadlock
// (two connections both upgrading a read lock, a stale WAL snapshot), which is exactly what
// an API and a worker opening a fresh file at the same instant do.
inline constexpr std::chrono::milliseconds kStartupBusyWait{60'000};

// True for SQLITE_BUSY and SQLITE_LOCKED, with any extended code.
bool is_busy(int rc);

// Opens (creating) the file: busy_timeout (kBusyTimeoutMs) before the first statement, then
// WAL mode, retrying SQLITE_BUSY for up to `busy_wait` with a logged back-off. On failure
// returns null and sets `error`.
Db open(const std::string& path, std::string& error,
        std::chrono::milliseconds busy_wait = kStartupBusyWait);

// Creates the store's schema (db/schema.hpp) in one BEGIN IMMEDIATE transaction, so two
// processes never interleave their DDL, retrying SQLITE_BUSY for up to `busy_wait` with a
// logged back-off. Every process that opens the file at start runs it: API, worker, demo.
// Returns the error message, or nullopt on success.
std::optional<std::string> run_schema_setup(sqlite3* db, std::string_view path,
                                            std::chrono::milliseconds busy_wait = kStartupBusyWait);

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  // 1-based indices, as sqlite3_bind_*.
  void bind(int index, std::string_view text);
  void bind(int index, double value);
  void bind(int index, std::int64_t value);
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();

  std::string text(int column) const;
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading a
// read lock; the loser waits out busy_timeout instead.
class WriteTransaction {
 public:
  explicit WriteTransaction(sqlite3* db);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  int begin_result() const { return begin_rc_; }
  int commit();

 private:
  sqlite3* db_;
  int begin_rc_;
  bool open_ = false;
};

}  // namespace pulseboard::db::sqlite
