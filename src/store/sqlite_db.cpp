#include "store/sqlite_db.hpp"

namespace pulseboard::store::sqlite {

Db open(const std::string& path, std::string& error) {
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (the pool hands it out).
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    error = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return nullptr;
  }
  sqlite3_busy_timeout(raw, 5000);
  char* msg = nullptr;
  if (sqlite3_exec(raw, "PRAGMA journal_mode=WAL;", nullptr, nullptr, &msg) != SQLITE_OK) {
    error = msg ? msg : "PRAGMA journal_mode=WAL failed";
    sqlite3_free(msg);
    return nullptr;
  }
  return db;
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

}  // namespace pulseboard::store::sqlite
