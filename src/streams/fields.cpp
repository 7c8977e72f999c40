#include <cctype>

#include "streams/config_parts.hpp"

namespace pulseboard::streams {

bool is_identifier(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name)
    if (!alpha(c) && !std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool is_source_name(std::string_view name) {
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return is_identifier(name);
  return is_identifier(name.substr(0, dot)) && is_identifier(name.substr(dot + 1));
}

namespace detail {

bool is_field_path(std::string_view name) {
  while (true) {
    const auto dot = name.find('.');
    if (!is_identifier(name.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

namespace {
bool falsy(const boost::json::value& v) {
  if (v.is_bool()) return !v.as_bool();
  auto n = pipeline::as_number(v);
  return n && *n == 0;
}
}  // namespace

Fields::Fields(const pipeline::Pipeline& pipeline) {
  // The worker adds these to every published row (worker.cpp's published data object).
  names_ = {"eventId", "committedAt", "publishedAt"};
  const pipeline::Pipeline::Stage* last = nullptr;
  for (auto& s : pipeline.stages())
    if (s.kind == pipeline::Pipeline::Stage::Kind::project) last = &s;
  if (!last) return;
  for (auto& kv : last->spec) {
    if (kv.key() == "_id" || falsy(kv.value())) continue;  // exclusions name nothing new
    projects_ = true;
    std::string_view key = kv.key();
    names_.insert(std::string(key.substr(0, key.find('.'))));
  }
}

bool Fields::has(std::string_view name) const {
  return projects_ && names_.count(std::string(name.substr(0, name.find('.')))) > 0;
}

std::string Fields::listed() const {
  if (!projects_) return "none: the pipeline has no inclusion $project";
  std::string out;
  for (auto& n : names_) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool Fields::check(ConfigReader& reader, const toml::table& t, const std::string& path,
                   std::string_view key, const std::string& value) const {
  const std::string where = ConfigReader::join(path, key);
  if (!is_field_path(value)) {
    reader.error(t.get(key), where,
                 "'" + value + "' is not a field name ([A-Za-z_][A-Za-z0-9_]{0,62}, dotted)");
    return false;
  }
  if (!has(value)) {
    reader.error(
        t.get(key), where,
        "field '" + value + "' is not projected by the pipeline (projected: " + listed() + ")");
    return false;
  }
  return true;
}

}  // namespace detail
}  // namespace pulseboard::streams
