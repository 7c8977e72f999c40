#include "worker/pipeline.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace pulseboard::worker {
namespace json = boost::json;

namespace {

constexpr std::string_view kArticlePipeline = R"([
  {"$match": {"operationType": {"$in": ["insert", "update"]},
              "fullDocument.status": "completed"}},
  {"$project": {"id": "$fullDocument._id", "revenue": "$fullDocument.amount",
                "category": "$fullDocument.category", "time": "$fullDocument.createdAt"}}
])";

constexpr std::array<std::string_view, 9> kFieldOperators = {"$eq",  "$ne", "$gt",  "$gte",   "$lt",
                                                             "$lte", "$in", "$nin", "$exists"};

bool is_operator_object(const json::value& v) {
  if (!v.is_object() || v.as_object().empty()) return false;
  for (auto& kv : v.as_object())
    if (kv.key().empty() || kv.key()[0] != '$') return false;
  return true;
}

std::optional<PipelineError> validate_match(const json::object& filter, std::size_t stage) {
  auto fail = [&](std::string what) {
    return PipelineError{"pipeline stage " + std::to_string(stage) + " ($match): " + what};
  };
  for (auto& kv : filter) {
    std::string_view key = kv.key();
    if (key == "$and" || key == "$or" || key == "$nor") {
      if (!kv.value().is_array() || kv.value().as_array().empty())
        return fail(std::string(key) + " needs a non-empty array of filters");
      for (auto& sub : kv.value().as_array()) {
        if (!sub.is_object()) return fail(std::string(key) + " entries must be objects");
        if (auto e = validate_match(sub.as_object(), stage)) return e;
      }
      continue;
    }
    if (!key.empty() && key[0] == '$') return fail("unsupported operator " + std::string(key));
    const json::value& cond = kv.value();
    if (!cond.is_object()) continue;  // literal equality
    bool any_op = false, any_field = false;
    for (auto& op : cond.as_object()) (op.key().starts_with('$') ? any_op : any_field) = true;
    if (any_op && any_field)
      return fail("field '" + std::string(key) + "' mixes operators and literal fields");
    if (!any_op) continue;  // equality with an embedded document
    for (auto& op : cond.as_object()) {
      std::string_view name = op.key();
      if (std::find(kFieldOperators.begin(), kFieldOperators.end(), name) == kFieldOperators.end())
        return fail("unsupported operator " + std::string(name) + " on '" + std::string(key) +
                    "' (supported: $eq $ne $gt $gte $lt $lte $in $nin $exists)");
      if ((name == "$in" || name == "$nin") && !op.value().is_array())
        return fail(std::string(name) + " on '" + std::string(key) + "' needs an array");
      if (name == "$exists" && !op.value().is_bool() && !op.value().is_number())
        return fail("$exists on '" + std::string(key) + "' needs true or false");
    }
  }
  return std::nullopt;
}

bool truthy(const json::value& v) {
  if (v.is_bool()) return v.as_bool();
  if (v.is_int64()) return v.as_int64() != 0;
  if (v.is_uint64()) return v.as_uint64() != 0;
  if (v.is_double()) return v.as_double() != 0;
  return false;
}

std::optional<PipelineError> validate_project(const json::object& spec, std::size_t stage) {
  auto fail = [&](std::string what) {
    return PipelineError{"pipeline stage " + std::to_string(stage) + " ($project): " + what};
  };
  if (spec.empty()) return fail("needs at least one field");
  bool includes = false, excludes = false;
  for (auto& kv : spec) {
    std::string_view key = kv.key();
    if (key.empty() || key[0] == '$') return fail("invalid field name '" + std::string(key) + "'");
    const json::value& v = kv.value();
    if (v.is_bool() || v.is_number()) {
      if (key != "_id") (truthy(v) ? includes : excludes) = true;
    } else if (v.is_string() && v.as_string().starts_with("$") && v.as_string().size() > 1) {
      includes = true;
    } else if (v.is_object() && v.as_object().size() == 1 && v.as_object().contains("$literal")) {
      includes = true;
    } else {
      return fail("unsupported expression for '" + std::string(key) +
                  "' (supported: 1/0, \"$field.path\", {\"$literal\": value})");
    }
  }
  if (includes && excludes) return fail("cannot mix inclusion and exclusion (except _id)");
  return std::nullopt;
}

std::optional<double> as_number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double()) return v.as_double();
  return std::nullopt;
}

bool values_equal(const json::value& a, const json::value& b) {
  auto na = as_number(a), nb = as_number(b);
  if (na && nb) return *na == *nb;
  return a == b;
}

// MongoDB equality: a missing field equals null; an array field matches when any element does.
bool field_equals(const json::value* field, const json::value& query) {
  if (!field) return query.is_null();
  if (values_equal(*field, query)) return true;
  if (field->is_array() && !query.is_array())
    for (auto& e : field->as_array())
      if (values_equal(e, query)) return true;
  return false;
}

// Ordering only within one type class (numbers, strings), as MongoDB's type bracketing does.
std::optional<int> compare(const json::value* field, const json::value& query) {
  if (!field) return std::nullopt;
  auto nf = as_number(*field), nq = as_number(query);
  if (nf && nq) return *nf < *nq ? -1 : (*nf > *nq ? 1 : 0);
  if (field->is_string() && query.is_string()) {
    int c = field->as_string().compare(query.as_string());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return std::nullopt;
}

bool in_array(const json::value* field, const json::array& values) {
  for (auto& v : values)
    if (field_equals(field, v)) return true;
  return false;
}

bool matches(const json::object& doc, const json::object& filter);

bool matches_operator(const json::value* field, std::string_view op, const json::value& arg) {
  if (op == "$eq") return field_equals(field, arg);
  if (op == "$ne") return !field_equals(field, arg);
  if (op == "$in") return in_array(field, arg.as_array());
  if (op == "$nin") return !in_array(field, arg.as_array());
  if (op == "$exists") return (field != nullptr) == truthy(arg);
  auto c = compare(field, arg);
  if (!c) return false;
  if (op == "$gt") return *c > 0;
  if (op == "$gte") return *c >= 0;
  if (op == "$lt") return *c < 0;
  if (op == "$lte") return *c <= 0;
  return false;  // unreachable: rejected at load
}

bool matches(const json::object& doc, const json::object& filter) {
  for (auto& kv : filter) {
    std::string_view key = kv.key();
    if (key == "$and" || key == "$or" || key == "$nor") {
      const auto& subs = kv.value().as_array();
      bool any = false, all = true;
      for (auto& s : subs) {
        bool m = matches(doc, s.as_object());
        any = any || m;
        all = all && m;
      }
      if (key == "$and" && !all) return false;
      if (key == "$or" && !any) return false;
      if (key == "$nor" && any) return false;
      continue;
    }
    const json::value* field = find_path(doc, key);
    const json::value& cond = kv.value();
    if (is_operator_object(cond)) {
      for (auto& op : cond.as_object())
        if (!matches_operator(field, op.key(), op.value())) return false;
    } else if (!field_equals(field, cond)) {
      return false;
    }
  }
  return true;
}

void set_path(json::object& out, std::string_view path, json::value v) {
  json::object* cur = &out;
  while (true) {
    auto dot = path.find('.');
    if (dot == std::string_view::npos) {
      (*cur)[path] = std::move(v);
      return;
    }
    json::value& next = (*cur)[path.substr(0, dot)];
    if (!next.is_object()) next = json::object();
    cur = &next.as_object();
    path.remove_prefix(dot + 1);
  }
}

void erase_path(json::object& doc, std::string_view path) {
  auto dot = path.find('.');
  if (dot == std::string_view::npos) {
    doc.erase(path);
    return;
  }
  if (auto* v = doc.if_contains(path.substr(0, dot)); v && v->is_object())
    erase_path(v->as_object(), path.substr(dot + 1));
}

json::object project(const json::object& doc, const json::object& spec) {
  bool exclusion = true;
  for (auto& kv : spec)
    if (kv.key() != "_id" &&
        !((kv.value().is_bool() || kv.value().is_number()) && !truthy(kv.value())))
      exclusion = false;
  if (exclusion) {
    json::object out = doc;
    for (auto& kv : spec) erase_path(out, kv.key());
    return out;
  }
  json::object out;
  auto id_spec = spec.if_contains("_id");
  if ((!id_spec || ((id_spec->is_bool() || id_spec->is_number()) && truthy(*id_spec))) &&
      doc.contains("_id"))
    out["_id"] = doc.at("_id");
  for (auto& kv : spec) {
    std::string_view key = kv.key();
    const json::value& v = kv.value();
    if (v.is_bool() || v.is_number()) {
      if (key == "_id" || !truthy(v)) continue;
      if (auto* src = find_path(doc, key)) set_path(out, key, *src);
    } else if (v.is_string()) {
      if (auto* src = find_path(doc, std::string_view(v.as_string()).substr(1)))
        set_path(out, key, *src);
    } else {
      set_path(out, key, v.as_object().at("$literal"));
    }
  }
  return out;
}

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
std::optional<std::string_view> order_column(std::string_view path) {
  if (path == "fullDocument.status") return "status";
  if (path == "fullDocument.category") return "category";
  if (path == "fullDocument.amount") return "amount";
  if (path == "fullDocument._id") return "id";
  return std::nullopt;
}

bool is_scalar_literal(const json::value& v) {
  return v.is_string() || as_number(v).has_value();
}

// One conjunct of the first $match as SQL, or nullopt when a row filter cannot express it.
std::optional<std::string> conjunct_sql(std::string_view key, const json::value& cond) {
  auto column = order_column(key);
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

const json::value* find_path(const json::object& doc, std::string_view path) {
  const json::object* cur = &doc;
  while (true) {
    auto dot = path.find('.');
    const json::value* v = cur->if_contains(path.substr(0, dot));
    if (!v || dot == std::string_view::npos) return v;
    if (!v->is_object()) return nullptr;
    cur = &v->as_object();
    path.remove_prefix(dot + 1);
  }
}

std::variant<Pipeline, PipelineError> Pipeline::parse(std::string_view json_text) {
  boost::system::error_code ec;
  json::value v = json::parse(json_text, ec);
  if (ec) return PipelineError{"pipeline is not valid JSON: " + ec.message()};
  return from_value(v);
}

std::variant<Pipeline, PipelineError> Pipeline::from_value(const json::value& stages) {
  if (!stages.is_array()) return PipelineError{"pipeline must be a JSON array of stages"};
  Pipeline p;
  std::size_t index = 0;
  for (auto& s : stages.as_array()) {
    if (!s.is_object() || s.as_object().size() != 1)
      return PipelineError{"pipeline stage " + std::to_string(index) +
                           " must be an object with exactly one operator"};
    auto& [name, spec] = *s.as_object().begin();
    if (!spec.is_object())
      return PipelineError{"pipeline stage " + std::to_string(index) + " (" + std::string(name) +
                           ") needs an object"};
    if (name == "$match") {
      if (auto e = validate_match(spec.as_object(), index)) return *e;
      p.stages_.push_back({Stage::Kind::match, spec.as_object()});
    } else if (name == "$project") {
      if (auto e = validate_project(spec.as_object(), index)) return *e;
      p.stages_.push_back({Stage::Kind::project, spec.as_object()});
    } else {
      return PipelineError{"pipeline stage " + std::to_string(index) + ": unsupported stage " +
                           std::string(name) + " (supported: $match, $project)"};
    }
    ++index;
  }
  return p;
}

std::string_view Pipeline::article_default_json() {
  return kArticlePipeline;
}

Pipeline Pipeline::article_default() {
  return std::get<Pipeline>(parse(kArticlePipeline));
}

bool Pipeline::is_article_default() const {
  return to_json() == article_default().to_json();
}

json::array Pipeline::to_json() const {
  json::array out;
  for (auto& s : stages_)
    out.push_back(json::object{{s.kind == Stage::Kind::match ? "$match" : "$project", s.spec}});
  return out;
}

std::optional<json::object> Pipeline::apply(const json::object& change_event) const {
  json::object doc = change_event;
  for (auto& s : stages_) {
    if (s.kind == Stage::Kind::match) {
      if (!matches(doc, s.spec)) return std::nullopt;
    } else {
      doc = project(doc, s.spec);
    }
  }
  return doc;
}

// The worker always re-applies the whole pipeline, so a row filter only has to let through a
// superset of what the $match accepts: we push down the conjuncts of the first $match that a
// PostgreSQL 15 row filter can express and leave the rest to the worker.
std::string postgres_row_filter(const Pipeline& pipeline) {
  if (pipeline.stages().empty() || pipeline.stages().front().kind != Pipeline::Stage::Kind::match)
    return {};
  std::string sql;
  for (auto& kv : pipeline.stages().front().spec) {
    if (auto part = conjunct_sql(kv.key(), kv.value())) sql += (sql.empty() ? "" : " AND ") + *part;
  }
  return sql;
}

bool can_push_down_to_postgres(const Pipeline& pipeline) {
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
  return !postgres_row_filter(pipeline).empty();
}

std::string publication_row_filter(const Pipeline& pipeline, bool push_down, int server_version) {
  if (!push_down || server_version < kPostgresRowFilterVersion ||
      !can_push_down_to_postgres(pipeline))
    return {};
  return postgres_row_filter(pipeline);
}

}  // namespace pulseboard::worker
