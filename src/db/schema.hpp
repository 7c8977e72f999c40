#pragma once
// The tables of the data path, shared by the order store (which writes orders, the outbox and the
// idempotency keys) and the change sources (which read the outbox or the replication stream, and
// keep their acknowledged position in worker_positions). Idempotent (CREATE ... IF NOT EXISTS),
// so every process that opens the database at start runs them: API, worker, demo.
#include <string_view>

namespace pulseboard::db {

// orders, order_outbox, idempotency_keys, subject_idempotency_keys, worker_positions.
std::string_view sqlite_schema_sql();
// orders (REPLICA IDENTITY FULL), idempotency_keys, subject_idempotency_keys. PostgreSQL has no
// outbox: the worker reads the orders table's logical replication stream.
std::string_view postgres_schema_sql();
// worker_positions on PostgreSQL: the same shape as SQLite's; only the worker uses it there, so
// the change source creates it (under the schema lock) next to its publication.
std::string_view postgres_worker_positions_sql();

}  // namespace pulseboard::db
