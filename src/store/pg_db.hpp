#pragma once
// Thin RAII over libpq for the order store. Every statement that carries data goes through
// PQexecParams (text parameters, never spliced into SQL).
#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pulseboard::store::pg {

struct ClearResult {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ClearResult>;

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
  // For constant multi-statement SQL (the schema) only; PQexecParams runs one statement.
  Result exec_script(const std::string& sql);
  bool broken() const { return !conn_ || PQstatus(conn_) != CONNECTION_OK; }

 private:
  std::string conninfo_;
  PGconn* conn_ = nullptr;
};

// True when the result finished successfully (commands or rows).
bool ok(const PGresult* r);
// True for failures where retrying later may succeed: lost connection, server shutting down,
// serialization failures, deadlocks, resource exhaustion.
bool transient(const Connection& conn, const PGresult* r);

}  // namespace pulseboard::store::pg
