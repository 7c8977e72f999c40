#include "pipeline/pushdown_postgres.hpp"

#include <cstdio>

namespace pulseboard::pipeline {
namespace json = boost::json;

namespace {

std::string sql_literal(const json::value& v) {
  if (v.is_string()) {
    std::string out = "'";
    for (char c : v.as_string()) {
      if (c == '\'') out += '\'';
      out += c;
    }
    return out + "'";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", *as_number(v));
  return buf;
}

// Column of `orders` that a fullDocument field maps to, for row filters.
std::optional<std::string> order_column(std::string_view path) {
  if (path == "fullDocument.status") return "status";
  if (path == "fullDocument.category") return "category";
  if (path == "fullDocument.amount") return "amount";
  if (path == "fullDocument._id") return "id";
  return std::nullopt;
}

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || name.size() > 63 || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

// Column a fullDocument field maps to: the orders table's contract names, else the column of
// the field's own name (one level; the other tables keep their columns' names), quoted.
std::optional<std::string> column_of(std::string_view table, std::string_view path) {
  const auto dot = table.rfind('.');
  if ((dot == std::string_view::npos ? table : table.substr(dot + 1)) == "orders")
    return order_column(path);
  constexpr std::string_view prefix = "fullDocument.";
  if (!path.starts_with(prefix)) return std::nullopt;
  path.remove_prefix(prefix.size());
  if (!is_plain_identifier(path)) return std::nullopt;
  return "\"" + std::string(path) + "\"";
}

bool is_scalar_literal(const json::value& v) {
  return v.is_string() || as_number(v).has_value();
}

// One conjunct of the first $match as SQL, or nullopt when a row filter cannot express it.
std::optional<std::string> conjunct_sql(std::string_view table, std::string_view key,
                                        const json::value& cond) {
  auto column = column_of(table, key);
  if (!column) return std::nullopt;
  if (is_scalar_literal(cond)) return std::string(*column) + " = " + sql_literal(cond);
  if (!is_operator_object(cond) || cond.as_object().size() != 1) return std::nullopt;
  auto& op = *cond.as_object().begin();
  if (op.key() == "$eq" && is_scalar_literal(op.value()))
    return std::string(*column) + " = " + sql_literal(op.value());
  if (op.key() == "$in" && op.value().is_array() && !op.value().as_array().empty()) {
    std::string sql = std::string(*column) + " IN (";
    bool first = true;
    for (auto& v : op.value().as_array()) {
      if (!is_scalar_literal(v)) return std::nullopt;
      sql += (first ? "" : ", ") + sql_literal(v);
      first = false;
    }
    return sql + ")";
  }
  return std::nullopt;
}

// The operation types a `$match` condition on operationType admits, when it is a literal, `$eq`
// or `$in` of literals; nullopt for anything else.
std::optional<std::vector<std::string>> admitted_operation_types(const json::value& cond) {
  if (cond.is_string()) return std::vector<std::string>{std::string(cond.as_string())};
  if (!is_operator_object(cond) || cond.as_object().size() != 1) return std::nullopt;
  auto& op = *cond.as_object().begin();
  if (op.key() == "$eq" && op.value().is_string())
    return std::vector<std::string>{std::string(op.value().as_string())};
  if (op.key() != "$in" || !op.value().is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (auto& v : op.value().as_array()) {
    if (!v.is_string()) return std::nullopt;
    out.emplace_back(v.as_string());
  }
  return out;
}

// With a row filter, PostgreSQL 15 rewrites updates that cross the filter: an UPDATE whose old
// row did not match arrives as an INSERT, one whose new row stops matching as a DELETE (which
// the source drops). A pipeline that admits exactly insert and update (and looks at
// operationType nowhere else) means the same either way: every change whose new row matches
// still passes, under one name or the other. An insert-only or update-only pipeline would not
// (a pending order updated to completed would be dropped, or taken as an insert).
bool operation_types_are_insert_and_update(const json::value& cond) {
  auto types = admitted_operation_types(cond);
  if (!types) return false;
  bool insert = false, update = false;
  for (auto& t : *types) {
    if (t == "insert")
      insert = true;
    else if (t == "update")
      update = true;
    else
      return false;  // the publication carries only inserts and updates
  }
  return insert && update;
}

}  // namespace

std::string postgres_row_filter(const Pipeline& pipeline, std::string_view table) {
  if (pipeline.stages().empty() || pipeline.stages().front().kind != Pipeline::Stage::Kind::match)
    return {};
  std::string sql;
  for (auto& kv : pipeline.stages().front().spec) {
    if (auto part = conjunct_sql(table, kv.key(), kv.value()))
      sql += (sql.empty() ? "" : " AND ") + *part;
  }
  return sql;
}

bool can_push_down_to_postgres(const Pipeline& pipeline, std::string_view table) {
  if (pipeline.stages().empty() || pipeline.stages().front().kind != Pipeline::Stage::Kind::match)
    return false;
  // Publications only carry insert/update here; a pipeline that wants other operation types
  // cannot be served by the publication at all, let alone filtered in it. One that tells
  // insert from update would see the row filter's renaming (above).
  auto& first = pipeline.stages().front().spec;
  auto* op = first.if_contains("operationType");
  if (!op || !operation_types_are_insert_and_update(*op)) return false;
  json::array rest = pipeline.to_json();
  rest[0].as_object()["$match"].as_object().erase("operationType");
  if (json::serialize(rest).find("operationType") != std::string::npos) return false;
  return !postgres_row_filter(pipeline, table).empty();
}

std::string publication_row_filter(const Pipeline& pipeline, bool push_down, int server_version,
                                   std::string_view table) {
  if (!push_down || server_version < kPostgresRowFilterVersion ||
      !can_push_down_to_postgres(pipeline, table))
    return {};
  return postgres_row_filter(pipeline, table);
}

std::string publication_row_filter(const std::vector<const Pipeline*>& pipelines, bool push_down,
                                   int server_version, std::string_view table) {
  std::vector<std::string> filters;
  for (const Pipeline* p : pipelines) {
    filters.push_back(publication_row_filter(*p, push_down, server_version, table));
    if (filters.back().empty()) return {};  // one stream needs every row of the table
  }
  if (filters.size() == 1) return filters.front();
  std::string sql;
  for (const auto& f : filters) sql += (sql.empty() ? "(" : " OR (") + f + ")";
  return sql;
}

}  // namespace pulseboard::pipeline
