#include "pipeline/pipeline.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace pulseboard::pipeline {
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

}  // namespace

bool is_operator_object(const json::value& v) {
  if (!v.is_object() || v.as_object().empty()) return false;
  for (auto& kv : v.as_object())
    if (kv.key().empty() || kv.key()[0] != '$') return false;
  return true;
}

std::optional<double> as_number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double()) return v.as_double();
  return std::nullopt;
}

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
}  // namespace pulseboard::pipeline
