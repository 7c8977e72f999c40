#include "db/postgres.hpp"

#include <poll.h>

#include <spdlog/spdlog.h>

#include "db/schema.hpp"

namespace pulseboard::db::pg {

namespace {
// A pooled connection that the server closed while it sat idle (a restart, a terminated
// backend) still reports CONNECTION_OK until it is used. An idle store connection expects
// nothing from the server (it LISTENs to nothing): whatever is readable (the server's FATAL
// message, end of file) means the session is over or in doubt, so the call that borrowed it
// reconnects at once instead of failing. A stray notice costs one reconnect.
bool closed_by_server(PGconn* conn) {
  if (PQtransactionStatus(conn) != PQTRANS_IDLE) return false;
  pollfd p{PQsocket(conn), POLLIN, 0};
  if (p.fd < 0) return true;
  return ::poll(&p, 1, 0) > 0;
}
}  // namespace

Conn connect(const std::string& conninfo) {
  return Conn(PQconnectdb(conninfo.c_str()));
}

Conn connect_replication(const std::string& conninfo, const char* application_name) {
  // The conninfo (a URL) expands into the connection parameters, then replication=database.
  const char* keys[] = {"dbname", "replication", "options", "application_name", nullptr};
  const char* values[] = {conninfo.c_str(), "database", "-c datestyle=ISO -c timezone=UTC",
                          application_name, nullptr};
  return Conn(PQconnectdbParams(keys, values, 1));
}

bool Connection::ensure_connected() {
  if (!conn_) {
    conn_ = PQconnectdb(conninfo_.c_str());
    // Server notices ("relation already exists, skipping") go to the log, not stderr.
    PQsetNoticeProcessor(
        conn_, [](void*, const char* message) { spdlog::debug("postgres: {}", message); }, nullptr);
  } else if (PQstatus(conn_) != CONNECTION_OK || closed_by_server(conn_)) {
    PQreset(conn_);
  }
  return PQstatus(conn_) == CONNECTION_OK;
}

std::string Connection::error() const {
  return conn_ ? PQerrorMessage(conn_) : "not connected";
}

Result Connection::exec(std::string_view sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string text(sql);
  return Result(PQexecParams(conn_, text.c_str(), int(values.size()), nullptr, values.data(),
                             nullptr, nullptr, 0));
}

bool ok(const PGresult* r) {
  if (!r) return false;
  const auto s = PQresultStatus(r);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

bool transient(const Connection& conn, const PGresult* r) {
  if (conn.broken() || !r) return true;
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  if (!state) return false;
  const std::string_view s(state);
  return s.starts_with("08") || s.starts_with("53") || s.starts_with("57P") || s == "40001" ||
         s == "40P01";
}

std::optional<std::string> run_schema_setup(
    PGconn* conn, const std::function<std::optional<std::string>(PGconn*)>& more) {
  auto step = [&](const std::string& sql) -> std::optional<std::string> {
    Result r(PQexec(conn, sql.c_str()));
    if (ok(r.get())) return std::nullopt;
    std::string msg = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return msg.empty() ? std::string("lost connection") : msg;
  };
  auto fail = [&](std::string msg) -> std::optional<std::string> {
    Result r(PQexec(conn, "ROLLBACK"));  // harmless when the connection already broke
    return msg;
  };
  if (auto err = step("BEGIN")) return err;
  if (auto err = step("SELECT pg_advisory_xact_lock(" + std::to_string(kSchemaLockKey) + ")"))
    return fail(*err);
  if (auto err = step(std::string(postgres_schema_sql()))) return fail(*err);
  if (more)
    if (auto err = more(conn)) return fail(*err);
  if (auto err = step("COMMIT")) return fail(*err);
  return std::nullopt;
}

}  // namespace pulseboard::db::pg
