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
