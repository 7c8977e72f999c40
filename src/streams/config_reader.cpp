#include "streams/config_reader.hpp"

#include <algorithm>
#include <charconv>

namespace pulseboard::streams::detail {

namespace {
std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date/time";
  }
}

// "250ms" / "5s" / "5m" / "1h" → ms; nullopt for anything else (or on overflow).
std::optional<std::int64_t> parse_duration(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0 || end == text.data()) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::int64_t scale = 0;
  if (unit == "ms") scale = 1;
  if (unit == "s") scale = 1000;
  if (unit == "m") scale = 60'000;
  if (unit == "h") scale = 3'600'000;
  if (scale == 0 || n > (std::int64_t{1} << 40) / scale) return std::nullopt;
  return n * scale;
}
}  // namespace

std::string ConfigReader::join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string ConfigReader::index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void ConfigReader::error(const toml::source_region& at, std::string path, std::string reason) {
  // The root table and implicit tables carry no position: point at the file's start.
  const std::int64_t line = at.begin.line ? at.begin.line : 1;
  const std::int64_t column = at.begin.line ? at.begin.column : 1;
  errors_.push_back({file_, line, column, std::move(path), std::move(reason)});
}

void ConfigReader::error(const toml::node* at, std::string path, std::string reason) {
  error(at ? at->source() : toml::source_region{}, std::move(path), std::move(reason));
}

void ConfigReader::only_keys(const toml::table& table, const std::string& path,
                             std::initializer_list<std::string_view> allowed) {
  for (auto&& [key, value] : table) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    std::string known;
    for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
    error(key.source(), join(path, key.str()), "unknown key (expected one of: " + known + ")");
  }
}

std::optional<std::string> ConfigReader::string(const toml::table& t, const std::string& path,
                                                std::string_view key, bool required) {
  const toml::node* n = t.get(key);
  if (!n) {
    if (required) error(&t, join(path, key), "missing (a string is required)");
    return std::nullopt;
  }
  if (!n->is_string()) {
    error(n, join(path, key), "must be a string, not " + type_name(*n));
    return std::nullopt;
  }
  return n->as_string()->get();
}

std::optional<std::int64_t> ConfigReader::integer(const toml::table& t, const std::string& path,
                                                  std::string_view key, std::int64_t min,
                                                  std::int64_t max) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (!n->is_integer()) {
    error(n, join(path, key), "must be an integer, not " + type_name(*n));
    return std::nullopt;
  }
  const std::int64_t v = n->as_integer()->get();
  if (v < min || v > max) {
    error(n, join(path, key),
          "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> ConfigReader::duration_ms(const toml::table& t, const std::string& path,
                                                      std::string_view key) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (n->is_integer() && n->as_integer()->get() >= 0) return n->as_integer()->get();
  std::optional<std::int64_t> ms;
  if (n->is_string()) ms = parse_duration(n->as_string()->get());
  if (!ms)
    error(n, join(path, key), "must be a duration such as \"500ms\", \"5s\", \"5m\" or \"1h\"");
  return ms;
}

std::optional<std::vector<std::string>> ConfigReader::strings(const toml::table& t,
                                                              const std::string& path,
                                                              std::string_view key,
                                                              std::size_t max_items) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  const toml::array* a = n->as_array();
  if (!a || a->size() > max_items) {
    error(n, join(path, key),
          "must be an array of at most " + std::to_string(max_items) + " strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const toml::node& item = *a->get(i);
    if (!item.is_string()) {
      error(&item, index(join(path, key), i), "must be a string, not " + type_name(item));
      return std::nullopt;
    }
    out.push_back(item.as_string()->get());
  }
  return out;
}

const toml::table* ConfigReader::table(const toml::table& t, const std::string& path,
                                       std::string_view key, bool required) {
  const toml::node* n = t.get(key);
  if (!n) {
    if (required) error(&t, join(path, key), "missing (a table is required)");
    return nullptr;
  }
  if (!n->is_table()) error(n, join(path, key), "must be a table, not " + type_name(*n));
  return n->as_table();
}

const toml::array* ConfigReader::tables(const toml::table& t, const std::string& path,
                                        std::string_view key, std::size_t max_items,
                                        bool required) {
  const toml::node* n = t.get(key);
  if (!n) {
    if (required) error(&t, join(path, key), "missing (at least one table is required)");
    return nullptr;
  }
  if (!n->is_array_of_tables()) {
    error(n, join(path, key), "must be an array of tables ([[" + std::string(key) + "]])");
    return nullptr;
  }
  if (n->as_array()->size() > max_items) {
    error(n, join(path, key), "at most " + std::to_string(max_items) + " are allowed");
    return nullptr;
  }
  return n->as_array();
}

}  // namespace pulseboard::streams::detail
