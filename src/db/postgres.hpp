#pragma once
// Thin RAII over libpq for the order store and the change source. Every statement that carries data
// goes through PQexecParams (text parameters, never spliced into SQL).
#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pulseboard::db::pg {

struct ClearResult {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ClearResult>;

struct FinishConn {
  void operator()(PGconn* c) const { PQfinish(c); }
};
// An owned libpq connection (PQfinish on every path). Check PQstatus after opening.
using Conn = std::unique_ptr<PGconn, FinishConn>;

// A regular connection, opened now (blocks until connected or failed).
Conn connect(const std::string& conninfo);
// A logical replication connection (replication=database) to the database `conninfo` names, with
// DateStyle ISO and TimeZone UTC so that timestamps arrive in the form the change decoder reads.
Conn connect_replication(const std::string& conninfo, const char* application_name);

// A parameter: text, or SQL NULL.
using Param = std::optional<std::string>;

// One connection; connects lazily and resets itself when libpq reports it broken.
class Connection {
 public:
  explicit Connection(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  ~Connection() {
    if (conn_) PQfinish(conn_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects or, after a failure, PQresets. False (with error()) when the server is unreachable.
  bool ensure_connected();
  std::string error() const;

  Result exec(std::string_view sql, const std::vector<Param>& params = {});
  bool broken() const { return !conn_ || PQstatus(conn_) != CONNECTION_OK; }
  PGconn* native() const { return conn_; }

 private:
  std::string conninfo_;
  PGconn* conn_ = nullptr;
};

// True when the result finished successfully (commands or rows).
bool ok(const PGresult* r);
// True for failures where retrying later may succeed: lost connection, server shutting down,
// serialization failures, deadlocks, resource exhaustion.
bool transient(const Connection& conn, const PGresult* r);

// The key of the transaction-level advisory lock that serialises schema setup (tables, the
// worker's publication) between every process that runs it at start: API, worker, demo.
// ASCII "pulsebrd"; any fixed 64-bit value works as long as every process uses the same one.
inline constexpr std::int64_t kSchemaLockKey = 0x70756c7365627264;

// Runs the store's schema (db/schema.hpp) and then `more` (may be empty) in one
// transaction that first takes pg_advisory_xact_lock(kSchemaLockKey).
//
// Why: CREATE TABLE IF NOT EXISTS is not safe under concurrency. Two sessions that both find
// the table missing both go on to create it, and the loser fails with `duplicate key value
// violates unique constraint "pg_type_typname_nsp_index"` (or pg_class_relname_nsp_index)
// instead of skipping; CREATE PUBLICATION has the same race. An API and a worker started at the
// same instant on a fresh database hit it. Holding the lock, the second session waits until the
// first committed, then finds everything there and skips. The lock is released at COMMIT or
// ROLLBACK, also when the connection dies. Returns the error message, or nullopt on success.
std::optional<std::string> run_schema_setup(
    PGconn* conn, const std::function<std::optional<std::string>(PGconn*)>& more = {});

}  // namespace pulseboard::db::pg
