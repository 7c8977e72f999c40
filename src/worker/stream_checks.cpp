#include "worker/stream_checks.hpp"

#include <algorithm>
#include <variant>

namespace pulseboard::worker {
namespace json = boost::json;

namespace {

constexpr std::string_view kField = "fullDocument.";

void add_column(std::string_view path, std::vector<std::string>& out) {
  if (!path.starts_with(kField)) return;
  path.remove_prefix(kField.size());
  std::string column(path.substr(0, path.find('.')));
  if (!column.empty() && std::find(out.begin(), out.end(), column) == out.end())
    out.push_back(std::move(column));
}

void walk(const json::value& v, std::vector<std::string>& out) {
  if (v.is_string()) {
    std::string_view text = v.as_string();
    if (text.starts_with('$')) add_column(text.substr(1), out);
  } else if (v.is_array()) {
    for (const auto& e : v.as_array()) walk(e, out);
  } else if (v.is_object()) {
    for (const auto& kv : v.as_object()) {
      if (kv.key() == "$literal") continue;  // a value, never a reference
      add_column(kv.key(), out);
      walk(kv.value(), out);
    }
  }
}

std::string bare(const std::string& table) {
  const auto dot = table.rfind('.');
  return dot == std::string::npos ? table : table.substr(dot + 1);
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::vector<std::string> columns_named(const pipeline::Pipeline& pipeline) {
  std::vector<std::string> out;
  for (const auto& stage : pipeline.stages()) walk(stage.spec, out);
  return out;
}

std::vector<streams::ConfigError> check_stream_tables(const streams::StreamsConfig& config,
                                                      changes::TableReader& reader) {
  std::vector<streams::ConfigError> errors;
  for (std::size_t i = 0; i < config.streams.size(); ++i) {
    const auto& s = config.streams[i];
    if (bare(s.source) == "orders") continue;
    const std::string path = "stream[" + std::to_string(i) + "]";
    auto columns = reader.columns(s.source);
    if (auto* why = std::get_if<std::string>(&columns)) {
      errors.push_back({config.file, s.source_at.line, s.source_at.column, path + ".source", *why});
      continue;
    }
    const auto& have = std::get<std::vector<std::string>>(columns);
    if (have.empty()) continue;  // a MongoDB collection: no declared columns
    for (const auto& column : columns_named(s.pipeline))
      if (std::find(have.begin(), have.end(), column) == have.end())
        errors.push_back({config.file, s.pipeline_at.line, s.pipeline_at.column, path + ".pipeline",
                          "table '" + s.source + "' has no column '" + column +
                              "' (columns: " + joined(have) + ")"});
  }
  return errors;
}

}  // namespace pulseboard::worker
