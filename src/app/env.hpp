#pragma once
// Environment lookups with defaults; every role reads its configuration through these so the
// article's names (PORT, REDIS_URL, MONGO_URI, CLIENT_URL) work everywhere.
#include <optional>
#include <string>

namespace pulseboard::app {

std::optional<std::string> env(const char* name);
std::string env_or(const char* name, std::string fallback);

}  // namespace pulseboard::app

namespace pulseboard::app {
// The URL with any password replaced by "***", for logs.
std::string redact_url(std::string url);
}  // namespace pulseboard::app
