#include "changes/mongo_canary.hpp"

#include <unistd.h>

#include <array>

#include "changes/mongo_change_decoder.hpp"
#include "pipeline/pushdown_mongo.hpp"

namespace pulseboard::changes {
namespace json = boost::json;

namespace {

json::object canary_passes() {
  return json::object{{"ns.coll", json::string(kMongoCanaryCollection)}};
}

// A $match the canary always passes: it never looks like an order.
json::object wrap_match(const json::value& spec) {
  return json::object{{"$match", json::object{{"$or", json::array{canary_passes(), spec}}}}};
}

bool is_ns_path(std::string_view key) {
  return key == "ns" || key.starts_with("ns.");
}

// An inclusion $project keeps `ns` too (the decoder strips it again); an exclusion one may not
// drop it, or the canary would arrive looking like data.
json::object keep_ns(json::object spec) {
  bool exclusion = false;
  bool mentions_ns = false;
  for (auto& kv : spec) {
    if (is_ns_path(kv.key())) mentions_ns = true;
    const json::value& v = kv.value();
    if (kv.key() != "_id" && (v.is_bool() || v.is_number()) &&
        !(v.is_bool() ? v.as_bool() : v.to_number<double>() != 0))
      exclusion = true;
  }
  if (exclusion) {
    for (auto it = spec.begin(); it != spec.end();)
      it = is_ns_path(it->key()) ? spec.erase(it) : std::next(it);
  } else if (!mentions_ns) {
    spec["ns"] = 1;
  }
  return spec;
}

}  // namespace

json::object mongo_canary_command(std::string_view writer_id, std::int64_t now_ms) {
  json::object at{{"$date", json::object{{"$numberLong", std::to_string(now_ms)}}}};
  json::object update{{"q", json::object{{"_id", writer_id}}},
                      {"u", json::object{{"$set", json::object{{"at", std::move(at)}}}}},
                      {"upsert", true}};
  return json::object{{"update", json::string(kMongoCanaryCollection)},
                      {"updates", json::array{std::move(update)}}};
}

std::optional<std::string> mongo_write_reply_error(const json::object& reply) {
  const json::value* ok = reply.if_contains("ok");
  if (!ok || !ok->is_number() || ok->to_number<double>() != 1) {
    const json::value* msg = reply.if_contains("errmsg");
    return msg && msg->is_string() ? std::string(msg->as_string()) : "command failed";
  }
  for (std::string_view key : {"writeErrors", "writeConcernError"}) {
    const json::value* e = reply.if_contains(key);
    if (!e) continue;
    const json::value* first = e->is_array() && !e->as_array().empty() ? &e->as_array()[0] : e;
    const json::value* msg =
        first->is_object() ? first->as_object().if_contains("errmsg") : nullptr;
    return std::string(key) + ": " +
           (msg && msg->is_string() ? std::string(msg->as_string()) : json::serialize(*e));
  }
  return std::nullopt;
}

json::array mongo_watch_pipeline(const pipeline::Pipeline& pipeline, bool push_down,
                                 const std::vector<std::string>& collections) {
  json::array names;
  for (const auto& c : collections) names.emplace_back(c);
  names.emplace_back(kMongoCanaryCollection);
  json::array stages{
      json::object{{"$match", json::object{{"ns.coll", json::object{{"$in", std::move(names)}}}}}}};
  if (!push_down) return stages;
  for (auto& stage : pipeline::mongo_server_pipeline(pipeline)) {
    const json::object& s = stage.as_object();
    if (auto* spec = s.if_contains("$match"))
      stages.push_back(wrap_match(*spec));
    else if (auto* proj = s.if_contains("$project"); proj && proj->is_object())
      stages.push_back(json::object{{"$project", keep_ns(proj->as_object())}});
    else
      stages.push_back(stage);
  }
  return stages;
}

std::string mongo_canary_writer_id() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "pulseboard-worker";
  return std::string(name.data());
}

}  // namespace pulseboard::changes
