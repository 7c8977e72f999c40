#include "changes/postgres_row.hpp"

#include <charconv>

#include "common/clock.hpp"

namespace pulseboard::changes {
namespace json = boost::json;

namespace {

// Type OIDs from pg_type.dat.
constexpr std::uint32_t kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700,
                        kFloat8 = 701, kNumeric = 1700, kTimestamp = 1114, kTimestamptz = 1184;

std::string field_name(std::string_view column) {
  if (column == "id") return "_id";
  std::string out;
  bool upper = false;
  for (char c : column) {
    if (c == '_') {
      upper = !out.empty();
      continue;
    }
    out.push_back(upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    upper = false;
  }
  return out;
}

// PostgreSQL's timestamp text (the replication connection sets DateStyle ISO and TimeZone UTC):
// "2026-11-28 04:00:00.123+00", "...+05:30", or without a zone for `timestamp` columns. Rewritten
// into the one ISO-8601 grammar (common/clock.hpp): 'T' separator, "+HH:MM" zone, and UTC when
// the column has no zone.
std::optional<std::int64_t> unix_ms_from_postgres(std::string_view text) {
  constexpr std::size_t kDateTimeLength = 19;  // "YYYY-MM-DD HH:MM:SS"
  if (text.size() < kDateTimeLength || text[10] != ' ') return std::nullopt;
  std::string iso(text);
  iso[10] = 'T';
  const auto zone = iso.find_first_of("+-", kDateTimeLength);
  if (zone == std::string::npos)
    iso += 'Z';
  else if (iso.size() - zone == 3)  // "+00": hours only
    iso += ":00";
  return parse_iso8601_ms(iso);
}

json::value typed(std::uint32_t oid, const std::string& text) {
  switch (oid) {
    case kBool:
      return text == "t";
    case kInt2:
    case kInt4:
    case kInt8: {
      std::int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && p == text.data() + text.size()) return v;
      return json::string(text);
    }
    case kFloat4:
    case kFloat8:
    case kNumeric: {
      double v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && p == text.data() + text.size()) return v;
      return json::string(text);  // NaN/Infinity have no JSON number form
    }
    case kTimestamp:
    case kTimestamptz:
      if (auto ms = unix_ms_from_postgres(text)) return json::string(format_iso8601_ms(*ms));
      return json::string(text);
    default:
      return json::string(text);
  }
}

}  // namespace

bool contract_names(std::string_view table) {
  return table == "orders";
}

json::value document_key(const json::object& full, bool own_names) {
  const json::value* key = full.if_contains(own_names ? "id" : "_id");
  return key ? *key : json::value(nullptr);
}

json::object change_document(std::string_view table, std::string_view position,
                             std::string_view operation, json::object full, bool own_names,
                             std::string_view database, std::int64_t committed_at_ms) {
  json::value key = document_key(full, own_names);
  return json::object{
      {"_id", json::object{{"position", position}}},           {"operationType", operation},
      {"documentKey", json::object{{"_id", std::move(key)}}},  {"fullDocument", std::move(full)},
      {"ns", json::object{{"db", database}, {"coll", table}}}, {"committedAt", committed_at_ms},
  };
}

json::object document_from_row(const pgoutput::Relation& relation, const pgoutput::Tuple& row,
                               const pgoutput::Tuple* old_row, bool own_names) {
  json::object doc;
  for (std::size_t i = 0; i < relation.columns.size() && i < row.size(); ++i) {
    const auto& column = relation.columns[i];
    const pgoutput::Value* v = &row[i];
    if (v->kind == pgoutput::Value::Kind::unchanged_toast) {
      if (!old_row || i >= old_row->size() ||
          (*old_row)[i].kind == pgoutput::Value::Kind::unchanged_toast)
        continue;
      v = &(*old_row)[i];
    }
    auto name = own_names ? column.name : field_name(column.name);
    if (v->kind == pgoutput::Value::Kind::null)
      doc[name] = nullptr;
    else
      doc[name] = typed(column.type_oid, v->data);
  }
  return doc;
}

}  // namespace pulseboard::changes
