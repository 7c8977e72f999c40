#include "app/env.hpp"

#include <cstdlib>

namespace pulseboard::app {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::string env_or(const char* name, std::string fallback) {
  auto v = env(name);
  return v ? *v : std::move(fallback);
}

}  // namespace pulseboard::app

namespace pulseboard::app {

std::string redact_url(std::string url) {
  auto scheme = url.find("://");
  auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  auto colon = url.find(':', scheme + 3);
  if (colon != std::string::npos && colon < at) url.replace(colon + 1, at - colon - 1, "***");
  return url;
}

}  // namespace pulseboard::app
