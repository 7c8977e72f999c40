#include "pipeline/pushdown_mongo.hpp"

namespace pulseboard::pipeline {
namespace json = boost::json;

json::array mongo_server_pipeline(const Pipeline& pipeline) {
  json::array stages = pipeline.to_json();
  if (stages.empty()) return stages;
  json::object& last = stages.back().as_object();
  if (auto* spec = last.if_contains("$project")) {
    bool exclusion = false;
    for (auto& kv : spec->as_object())
      if (kv.key() != "_id" && (kv.value().is_bool() || kv.value().is_number()) &&
          !(kv.value().is_bool() ? kv.value().as_bool() : kv.value().to_number<double>() != 0))
        exclusion = true;
    if (!exclusion) {
      spec->as_object()["clusterTime"] = 1;
      spec->as_object()["wallTime"] = 1;
    }
  }
  return stages;
}

bool has_project(const Pipeline& pipeline) {
  for (auto& s : pipeline.stages())
    if (s.kind == Pipeline::Stage::Kind::project) return true;
  return false;
}

}  // namespace pulseboard::pipeline
