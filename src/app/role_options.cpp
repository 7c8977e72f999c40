#include "app/role_options.hpp"

#include "app/env.hpp"

namespace pulseboard::app {

void add_log_level_option(CLI::App& cmd, std::string& level) {
  cmd.add_option("--log-level", level, "trace|debug|info|warn|error (LOG_LEVEL)")
      ->envname("LOG_LEVEL")
      ->capture_default_str();
}

void apply_mongo_uri(std::string& database_url, std::string_view default_url) {
  if (auto mongo = env("MONGO_URI"); mongo && !env("DATABASE_URL") && database_url == default_url)
    database_url = *mongo;
}

}  // namespace pulseboard::app
