#pragma once
// Options and environment rules that several roles share, written once.
#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

namespace pulseboard::app {

// --log-level, also read from LOG_LEVEL.
void add_log_level_option(CLI::App& cmd, std::string& level);

// The article names the MongoDB server MONGO_URI: it is used when DATABASE_URL is unset and the
// database option was left at `default_url`.
void apply_mongo_uri(std::string& database_url, std::string_view default_url);

}  // namespace pulseboard::app
