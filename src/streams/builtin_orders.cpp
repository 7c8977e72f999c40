// The built-in dashboard: examples/orders.toml, compiled in (src/streams/CMakeLists.txt writes
// its text into builtin_orders_toml.cpp), so a gateway without a stream file serves exactly
// today's orders dashboard and the example stays the one source of it.
#include <stdexcept>
#include <variant>

#include "streams/dashboard_description.hpp"

namespace pulseboard::streams {

extern const char kBuiltinOrdersToml[];

const StreamsConfig& builtin_orders_config() {
  static const StreamsConfig config = [] {
    auto result = parse_config(kBuiltinOrdersToml, "examples/orders.toml (built in)");
    if (auto* errors = std::get_if<std::vector<ConfigError>>(&result))
      throw std::logic_error("built-in streams file: " + errors->front().to_string());
    return std::get<StreamsConfig>(std::move(result));
  }();
  return config;
}

}  // namespace pulseboard::streams
