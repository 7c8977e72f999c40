#pragma once
// SQLite: the outbox filled by triggers (docs/streams.md, "SQLite"). For every table a stream
// follows (other than `orders`, whose outbox rows the API's store writes itself in the same
// transaction as the order), the worker installs AFTER INSERT and AFTER UPDATE triggers that copy
// the new row into `order_outbox` with its table's name, so a row written by any program (the
// sqlite3 CLI, another service) is streamed like an order.
#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "changes/change_source.hpp"

namespace pulseboard::changes {

// One followed table as the database describes it (PRAGMA table_info).
struct SqliteTableShape {
  std::string name;
  std::vector<std::string> columns;  // in table order
  std::string key;                   // the single-column primary key; empty: rowid
};

// The row as the JSON text the outbox carries (every column under its own name, a BLOB as hex),
// and its key as text (the primary key, else the rowid), over columns prefixed by `prefix`
// ("NEW." in a trigger, "" in a SELECT): a row read directly has the shape of its trigger's copy.
std::string row_json_sql(const SqliteTableShape& table, std::string_view prefix);
std::string row_key_sql(const SqliteTableShape& table, std::string_view prefix);
// "name" with embedded quotes doubled.
std::string quote_ident(std::string_view name);

// The CREATE TRIGGER statement for `operation` ("insert" or "update"). The row becomes a JSON
// object of every column under its own name (a BLOB as its hex text: json_object refuses BLOBs,
// and a trigger that fails would fail the writer's statement); its key is the primary key (else
// the rowid) as text; its commit time the statement's time in ms.
std::string outbox_trigger_sql(const SqliteTableShape& table, std::string_view operation);

// The shape of `table`, or nullopt with the reason in *error (no such table, a WITHOUT ROWID
// table with a composite key, ...).
std::optional<SqliteTableShape> read_table_shape(sqlite3* db, const std::string& table,
                                                 std::string* error);

// Adds order_outbox.source_table when missing (older files), then replaces the triggers of each
// table (so a column added since the last start is carried too). nullopt when done; the reason
// otherwise (a missing table names it). One transaction: all triggers or none.
std::optional<std::string> install_outbox_triggers(sqlite3* db,
                                                   const std::vector<std::string>& tables);

// The SQLite source with outbox triggers on `tables` (installed at every start()).
std::unique_ptr<ChangeSource> make_sqlite_source(std::string path, const SourceOptions& options,
                                                 std::vector<std::string> tables);
// open_change_source() for the streams of a stream file: on SQLite, with outbox triggers on
// `tables`; the other sources follow the orders table as before.
std::unique_ptr<ChangeSource> open_change_source(std::string_view database_url,
                                                 const SourceOptions& options,
                                                 std::vector<std::string> tables,
                                                 std::string* error);

}  // namespace pulseboard::changes
