#include "changes/mongo_change_decoder.hpp"

#include <charconv>

#include "changes/event_id.hpp"
#include "common/clock.hpp"

namespace pulseboard::changes {
namespace json = boost::json;

namespace {

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// {"$date": "ISO"} | {"$date": {"$numberLong": "ms"}} | {"$date": ms}
std::optional<std::int64_t> date_ms(const json::value& date) {
  if (date.is_string()) return parse_iso8601_ms(date.as_string());
  if (date.is_int64()) return date.as_int64();
  if (date.is_uint64()) return static_cast<std::int64_t>(date.as_uint64());
  if (date.is_object())
    if (auto* n = date.as_object().if_contains("$numberLong"); n && n->is_string())
      return parse_int(n->as_string());
  return std::nullopt;
}

std::optional<std::int64_t> committed_ms(const json::object& doc) {
  if (auto* wall = doc.if_contains("wallTime"); wall && wall->is_object())
    if (auto* d = wall->as_object().if_contains("$date"))
      if (auto ms = date_ms(*d)) return ms;
  if (auto* ct = doc.if_contains("clusterTime"); ct && ct->is_object())
    if (auto* ts = ct->as_object().if_contains("$timestamp"); ts && ts->is_object())
      if (auto* t = ts->as_object().if_contains("t"); t && t->is_number())
        return t->to_number<std::int64_t>() * 1000;
  return std::nullopt;
}

bool is_canary(const json::object& doc) {
  const json::value* ns = doc.if_contains("ns");
  const json::value* coll = ns && ns->is_object() ? ns->as_object().if_contains("coll") : nullptr;
  return coll && coll->is_string() && coll->as_string() == kMongoCanaryCollection;
}

}  // namespace

json::value plain_from_extended_json(const json::value& v) {
  if (v.is_array()) {
    json::array out;
    for (auto& e : v.as_array()) out.push_back(plain_from_extended_json(e));
    return out;
  }
  if (!v.is_object()) return v;
  const json::object& o = v.as_object();
  if (o.size() == 1) {
    auto& [key, inner] = *o.begin();
    if (key == "$date") {
      if (auto ms = date_ms(inner)) return json::string(format_iso8601_ms(*ms));
    } else if (key == "$numberDouble" && inner.is_string()) {
      try {
        return std::stod(std::string(inner.as_string()));
      } catch (const std::exception&) {
        return v;  // "NaN"/"Infinity" have no JSON number form; keep the wrapper
      }
    } else if ((key == "$numberInt" || key == "$numberLong") && inner.is_string()) {
      if (auto n = parse_int(inner.as_string())) return *n;
    } else if (key == "$oid" && inner.is_string()) {
      return inner;
    }
  }
  json::object out;
  for (auto& kv : o) out[kv.key()] = plain_from_extended_json(kv.value());
  return out;
}

std::variant<ChangeEvent, SourceError> decode_mongo_change(const json::object& doc,
                                                           bool projected) {
  auto* token = doc.if_contains("_id");
  if (!token || !token->is_object())
    return SourceError{SourceError::Kind::resnapshot_needed,
                       "change event without a resume token (_id); the pipeline must keep _id"};
  ChangeEvent e;
  e.position = json::serialize(*token);
  if (auto* data = token->as_object().if_contains("_data"); data && data->is_string())
    e.event_id = mongo_event_id(data->as_string());
  else
    e.event_id = mongo_event_id(e.position);
  e.committed_at_ms = committed_ms(doc).value_or(0);
  // The collection routes the change to its streams (a projection that drops `ns` leaves it
  // empty: every stream takes it, as the one stream of a pushed-down pipeline should).
  if (auto* ns = doc.if_contains("ns"); ns && ns->is_object())
    if (auto* coll = ns->as_object().if_contains("coll"); coll && coll->is_string())
      e.table = std::string(coll->as_string());
  if (is_canary(doc)) {
    e.canary = true;
    return e;
  }

  if (projected) {
    json::object out;
    for (auto& kv : doc) {
      // Kept by the source's pipeline (mongo_watch_pipeline), not by the worker's.
      if (kv.key() == "clusterTime" || kv.key() == "wallTime" || kv.key() == "ns") continue;
      out[kv.key()] = plain_from_extended_json(kv.value());
    }
    out["_id"] = json::object{{"position", e.position}};
    e.document = std::move(out);
    return e;
  }

  auto* op = doc.if_contains("operationType");
  if (!op || !op->is_string())
    return SourceError{SourceError::Kind::unavailable, "change event without operationType"};
  if (op->as_string() == "invalidate")
    return SourceError{SourceError::Kind::resnapshot_needed,
                       "change stream invalidated (collection dropped or renamed)"};

  json::object out;
  out["_id"] = json::object{{"position", e.position}};
  out["operationType"] = *op;
  for (std::string_view key : {"fullDocument", "documentKey", "updateDescription", "ns"})
    if (auto* v = doc.if_contains(key)) out[key] = plain_from_extended_json(*v);
  out["committedAt"] = e.committed_at_ms;
  e.document = std::move(out);
  return e;
}

SourceError mongo_error_to_source_error(std::int32_t code, std::string_view message) {
  std::string text = std::string(message) + " (code " + std::to_string(code) + ")";
  switch (code) {
    case kMongoChangeStreamHistoryLost:
    case kMongoChangeStreamFatalError:
    case kMongoInvalidResumeToken:
      return SourceError{SourceError::Kind::resnapshot_needed, std::move(text)};
    default:
      return SourceError{SourceError::Kind::unavailable, std::move(text)};
  }
}

SourceError mongo_error_reply_to_source_error(const json::object& reply) {
  std::int32_t code = 0;
  if (auto* c = reply.if_contains("code"); c && c->is_number()) code = c->to_number<std::int32_t>();
  std::string msg = "unknown server error";
  if (auto* m = reply.if_contains("errmsg"); m && m->is_string()) msg = m->as_string().c_str();
  return mongo_error_to_source_error(code, msg);
}

}  // namespace pulseboard::changes
