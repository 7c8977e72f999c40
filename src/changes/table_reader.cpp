#include "changes/table_reader.hpp"

#include <libpq-fe.h>

#include "changes/postgres_row.hpp"
#include "changes/sqlite_outbox_triggers.hpp"
#include "changes/table_reader_mongo.hpp"
#include "db/database_url.hpp"
#include "db/postgres.hpp"
#include "db/sqlite.hpp"

namespace pulseboard::changes {
namespace json = boost::json;

namespace {

constexpr std::string_view kRebuildPosition = "rebuild";

class SqliteTableReader final : public TableReader {
 public:
  explicit SqliteTableReader(std::string path) : path_(std::move(path)) {}

  // "main.t" is t: the file's own schema.
  static std::string local(const std::string& table) {
    return table.starts_with("main.") ? table.substr(5) : table;
  }

  std::optional<std::string> reachable() override {
    std::string error;
    if (!open(error)) return error;
    return std::nullopt;
  }

  std::variant<std::vector<std::string>, std::string> columns(const std::string& table) override {
    std::string error;
    if (!open(error)) return error;
    auto shape = read_table_shape(db_.get(), local(table), &error);
    if (!shape) return "table '" + table + "' does not exist";
    return shape->columns;
  }

  std::variant<std::vector<ChangeEvent>, std::string> newest(const std::string& table,
                                                             const std::string& order_column,
                                                             std::size_t limit) override {
    std::string error;
    if (!open(error)) return error;
    auto shape = read_table_shape(db_.get(), local(table), &error);
    if (!shape) return "table '" + table + "' does not exist";
    // The same row text and key as its trigger's outbox copy (sqlite_outbox_triggers.hpp).
    db::sqlite::Statement q(db_.get(), "SELECT " + row_key_sql(*shape, "") + ", " +
                                           row_json_sql(*shape, "") + " FROM " +
                                           quote_ident(shape->name) + " ORDER BY " +
                                           quote_ident(order_column) + " DESC LIMIT ?");
    if (!q.ok()) return "reading " + table + ": " + sqlite3_errmsg(db_.get());
    q.bind(1, static_cast<std::int64_t>(limit));
    std::vector<ChangeEvent> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      boost::system::error_code ec;
      json::value full = json::parse(q.text(1), ec);
      if (ec || !full.is_object()) continue;
      ChangeEvent e;
      e.position = kRebuildPosition;
      e.table = table;
      e.document = json::object{{"_id", json::object{{"position", kRebuildPosition}}},
                                {"operationType", "insert"},
                                {"documentKey", json::object{{"_id", q.text(0)}}},
                                {"fullDocument", std::move(full)},
                                {"committedAt", 0}};
      out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return "reading " + table + ": " + sqlite3_errmsg(db_.get());
    return out;
  }

 private:
  bool open(std::string& error) {
    if (db_) return true;
    db_ = db::sqlite::open(path_, error);
    return db_ != nullptr;
  }

  std::string path_;
  db::sqlite::Db db_;
};

std::string escape_ident(PGconn* c, std::string_view name) {
  char* q = PQescapeIdentifier(c, name.data(), name.size());
  std::string out = q ? q : std::string(name);
  PQfreemem(q);
  return out;
}

// "schema"."table", or "table" (found through the search path).
std::string qualified(PGconn* c, std::string_view table) {
  const auto dot = table.find('.');
  if (dot == std::string_view::npos) return escape_ident(c, table);
  return escape_ident(c, table.substr(0, dot)) + "." + escape_ident(c, table.substr(dot + 1));
}

std::string bare(std::string_view table) {
  const auto dot = table.rfind('.');
  return std::string(dot == std::string_view::npos ? table : table.substr(dot + 1));
}

class PostgresTableReader final : public TableReader {
 public:
  explicit PostgresTableReader(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  std::optional<std::string> reachable() override {
    std::string error;
    if (!open(error)) return error;
    return std::nullopt;
  }

  std::variant<std::vector<std::string>, std::string> columns(const std::string& table) override {
    std::string error;
    if (!open(error)) return error;
    const std::string name = qualified(conn_.get(), table);
    const char* params[] = {name.c_str()};
    db::pg::Result r(PQexecParams(conn_.get(),
                                  "SELECT attname FROM pg_attribute WHERE attrelid = "
                                  "to_regclass($1) AND attnum > 0 AND NOT attisdropped "
                                  "ORDER BY attnum",
                                  1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
      return "reading table " + table + ": " + PQerrorMessage(conn_.get());
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.emplace_back(PQgetvalue(r.get(), i, 0));
    if (out.empty()) return "table '" + table + "' does not exist";
    return out;
  }

  std::variant<std::vector<ChangeEvent>, std::string> newest(const std::string& table,
                                                             const std::string& order_column,
                                                             std::size_t limit) override {
    std::string error;
    if (!open(error)) return error;
    const std::string sql = "SELECT * FROM " + qualified(conn_.get(), table) + " ORDER BY " +
                            escape_ident(conn_.get(), order_column) + " DESC LIMIT " +
                            std::to_string(limit);
    db::pg::Result r(PQexec(conn_.get(), sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      error = "reading " + table + ": " + PQerrorMessage(conn_.get());
      conn_.reset();  // a broken connection is opened again next time
      return error;
    }
    return events_of(r.get(), table);
  }

 private:
  // Each row through the same decoding as a streamed row (text values, the columns' types).
  std::vector<ChangeEvent> events_of(PGresult* r, const std::string& table) {
    pgoutput::Relation relation;
    relation.name = bare(table);
    for (int c = 0; c < PQnfields(r); ++c)
      relation.columns.push_back({.name = PQfname(r, c), .type_oid = PQftype(r, c)});
    const bool own_names = !contract_names(relation.name);
    std::vector<ChangeEvent> out;
    for (int i = 0; i < PQntuples(r); ++i) {
      pgoutput::Tuple row;
      for (int c = 0; c < PQnfields(r); ++c) {
        pgoutput::Value v;
        if (!PQgetisnull(r, i, c)) {
          v.kind = pgoutput::Value::Kind::text;
          v.data = PQgetvalue(r, i, c);
        }
        row.push_back(std::move(v));
      }
      ChangeEvent e;
      e.position = kRebuildPosition;
      e.table = table;
      e.document = change_document(relation.name, kRebuildPosition, "insert",
                                   document_from_row(relation, row, nullptr, own_names), own_names,
                                   PQdb(conn_.get()), 0);
      out.push_back(std::move(e));
    }
    return out;
  }

  // Timestamps as the replication connection sends them (DateStyle ISO, TimeZone UTC).
  bool open(std::string& error) {
    if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) return true;
    conn_ = db::pg::connect(conninfo_);
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      error = std::string("connection: ") + PQerrorMessage(conn_.get());
      conn_.reset();
      return false;
    }
    db::pg::Result set(PQexec(conn_.get(), "SET DateStyle = ISO; SET TimeZone = 'UTC'"));
    return true;
  }

  std::string conninfo_;
  db::pg::Conn conn_;
};

}  // namespace

std::unique_ptr<TableReader> open_table_reader(std::string_view database_url, std::string* error) {
  auto parsed = db::parse_database_url(database_url);
  if (auto* refused = std::get_if<db::DatabaseUrlError>(&parsed)) {
    if (error) *error = refused->message;
    return nullptr;
  }
  auto& target = std::get<db::DatabaseUrl>(parsed);
  if (target.backend == db::Backend::sqlite)
    return std::make_unique<SqliteTableReader>(target.target);
  if (target.backend == db::Backend::postgres)
    return std::make_unique<PostgresTableReader>(target.target);
  return make_mongo_table_reader(target.target);
}

}  // namespace pulseboard::changes
