#include "changes/sqlite_outbox_triggers.hpp"

#include "db/sqlite.hpp"

namespace pulseboard::changes {
namespace {

using db::sqlite::Statement;

}  // namespace

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

namespace {

std::string quote_text(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + '\'';
}

std::string trigger_name(const std::string& table, std::string_view operation) {
  return quote_ident("pulseboard_outbox_" + table + "_" + std::string(operation));
}

bool exec(sqlite3* db, const std::string& sql, std::string* error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return true;
  *error = message ? message : sqlite3_errmsg(db);
  sqlite3_free(message);
  return false;
}

bool has_source_table_column(sqlite3* db) {
  Statement q(db, "SELECT 1 FROM pragma_table_info('order_outbox') WHERE name = 'source_table'");
  return q.ok() && q.step() == SQLITE_ROW;
}

}  // namespace

std::string row_json_sql(const SqliteTableShape& table, std::string_view prefix) {
  std::string row = "json_object(";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    const std::string column = std::string(prefix) + quote_ident(table.columns[i]);
    if (i > 0) row += ", ";
    row += quote_text(table.columns[i]) + ", CASE WHEN typeof(" + column + ") = 'blob' THEN hex(" +
           column + ") ELSE " + column + " END";
  }
  return row + ")";
}

std::string row_key_sql(const SqliteTableShape& table, std::string_view prefix) {
  const std::string key =
      std::string(prefix) + (table.key.empty() ? "rowid" : quote_ident(table.key));
  return "CAST(" + key + " AS TEXT)";
}

std::string outbox_trigger_sql(const SqliteTableShape& table, std::string_view operation) {
  return "CREATE TRIGGER " + trigger_name(table.name, operation) + " AFTER " +
         (operation == "insert" ? "INSERT" : "UPDATE") + " ON " + quote_ident(table.name) +
         " BEGIN INSERT INTO order_outbox (operation, order_id, document, committed_at, "
         "source_table) VALUES (" +
         quote_text(operation) + ", " + row_key_sql(table, "NEW.") + ", " +
         row_json_sql(table, "NEW.") +
         ", CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), " +
         quote_text(table.name) + "); END";
}

std::optional<SqliteTableShape> read_table_shape(sqlite3* db, const std::string& table,
                                                 std::string* error) {
  Statement q(db, "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid");
  if (!q.ok()) {
    *error = sqlite3_errmsg(db);
    return std::nullopt;
  }
  q.bind(1, std::string_view(table));
  SqliteTableShape shape{.name = table, .columns = {}, .key = {}};
  int keys = 0;
  while (q.step() == SQLITE_ROW) {
    shape.columns.push_back(q.text(0));
    if (q.integer(1) > 0 && ++keys == 1) shape.key = q.text(0);
  }
  if (shape.columns.empty()) {
    *error = "no such table";
    return std::nullopt;
  }
  if (keys > 1) shape.key.clear();  // a composite key: the rowid names the row
  return shape;
}

std::optional<std::string> install_outbox_triggers(sqlite3* db,
                                                   const std::vector<std::string>& tables) {
  std::string error;
  if (!exec(db, "BEGIN IMMEDIATE", &error)) return error;
  auto fail = [&](std::string why) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return std::optional<std::string>(std::move(why));
  };
  if (!has_source_table_column(db) &&
      !exec(db, "ALTER TABLE order_outbox ADD COLUMN source_table TEXT NOT NULL DEFAULT 'orders'",
            &error))
    return fail("cannot add order_outbox.source_table: " + error);
  for (const auto& table : tables) {
    auto shape = read_table_shape(db, table, &error);
    if (!shape) return fail("table '" + table + "': " + error);
    for (std::string_view op : {"insert", "update"}) {
      if (!exec(db, "DROP TRIGGER IF EXISTS " + trigger_name(table, op), &error) ||
          !exec(db, outbox_trigger_sql(*shape, op), &error))
        return fail("table '" + table + "': cannot install its " + std::string(op) +
                    " trigger: " + error);
    }
  }
  if (!exec(db, "COMMIT", &error)) return fail(error);
  return std::nullopt;
}

}  // namespace pulseboard::changes
