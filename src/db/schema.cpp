#include "db/schema.hpp"

namespace pulseboard::db {

// Idempotency keys belong to the caller that sent them: subject_idempotency_keys holds (token
// subject, key). idempotency_keys holds keys stored before that, one per key whatever the caller;
// nothing writes it any more, and its rows still replay the request that stored them (their
// request_hash covers the caller). Adding a table, not altering one, keeps the migration a plain
// CREATE ... IF NOT EXISTS: safe on an existing database and for processes starting together.
std::string_view sqlite_schema_sql() {
  return R"sql(
CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, amount REAL NOT NULL, status TEXT NOT NULL, category TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS orders_created ON orders(created_at, id);
CREATE TABLE IF NOT EXISTS order_outbox (position INTEGER PRIMARY KEY AUTOINCREMENT, operation TEXT NOT NULL, order_id TEXT NOT NULL, document TEXT NOT NULL, committed_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency_keys (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, order_id TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS subject_idempotency_keys (subject TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, order_id TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (subject, key));
CREATE TABLE IF NOT EXISTS worker_positions (source TEXT PRIMARY KEY, position TEXT NOT NULL, updated_at INTEGER NOT NULL);
)sql";
}

std::string_view postgres_schema_sql() {
  return R"sql(
-- Run through pg::run_schema_setup, under an advisory lock (concurrent CREATE ... IF NOT EXISTS
-- is not safe). REPLICA IDENTITY is set only when missing: ALTER TABLE takes an ACCESS EXCLUSIVE
-- lock, which would queue every start behind the API's open transactions.
CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, amount DOUBLE PRECISION NOT NULL, status TEXT NOT NULL, category TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL);
DO $$ BEGIN
  IF (SELECT relreplident FROM pg_class WHERE oid = 'orders'::regclass) <> 'f' THEN
    ALTER TABLE orders REPLICA IDENTITY FULL;
  END IF;
END $$;
CREATE INDEX IF NOT EXISTS orders_created ON orders(created_at, id);
CREATE TABLE IF NOT EXISTS idempotency_keys (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, order_id TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS subject_idempotency_keys (subject TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, order_id TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (subject, key));
)sql";
}

std::string_view postgres_worker_positions_sql() {
  return "CREATE TABLE IF NOT EXISTS worker_positions (source TEXT PRIMARY KEY, position TEXT NOT "
         "NULL, updated_at BIGINT NOT NULL)";
}

}  // namespace pulseboard::db
