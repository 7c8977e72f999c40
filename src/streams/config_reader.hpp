#pragma once
// Typed, located access to a parsed TOML table for the stream configuration's readers. Every
// getter reports what is wrong (missing, wrong type, out of range) with the key path and the
// node's line:column and carries on, so one pass reports every error of the file.
#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streams/stream_config.hpp"

namespace pulseboard::streams::detail {

class ConfigReader {
 public:
  ConfigReader(std::string file, std::vector<ConfigError>& errors)
      : file_(std::move(file)), errors_(errors) {}

  void error(const toml::node* at, std::string path, std::string reason);
  void error(const toml::source_region& at, std::string path, std::string reason);
  std::size_t error_count() const { return errors_.size(); }

  // Reports each key of `table` that is not in `allowed` (a typo must not be ignored).
  void only_keys(const toml::table& table, const std::string& path,
                 std::initializer_list<std::string_view> allowed);

  // nullopt when absent (an error if `required`) or of the wrong type (always an error).
  std::optional<std::string> string(const toml::table& t, const std::string& path,
                                    std::string_view key, bool required);
  std::optional<std::int64_t> integer(const toml::table& t, const std::string& path,
                                      std::string_view key, std::int64_t min, std::int64_t max);
  // "250ms", "5s", "5m", "1h" (or an integer of milliseconds).
  std::optional<std::int64_t> duration_ms(const toml::table& t, const std::string& path,
                                          std::string_view key);
  std::optional<std::vector<std::string>> strings(const toml::table& t, const std::string& path,
                                                  std::string_view key, std::size_t max_items);
  const toml::table* table(const toml::table& t, const std::string& path, std::string_view key,
                           bool required);
  // An array of tables ([[key]]); nullptr when absent (an error if `required`) or not one.
  const toml::array* tables(const toml::table& t, const std::string& path, std::string_view key,
                            std::size_t max_items, bool required);

  static std::string join(const std::string& path, std::string_view key);
  static std::string index(const std::string& path, std::size_t i);

 private:
  std::string file_;
  std::vector<ConfigError>& errors_;
};

}  // namespace pulseboard::streams::detail
