#include "app/streams_options.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>
#include <variant>

#include "streams/dashboard_description.hpp"

namespace pulseboard::app {

void add_streams_config_option(CLI::App& cmd, std::string& path) {
  cmd.add_option("--config", path,
                 "stream file: the dashboards served (PULSEBOARD_CONFIG; default: the built-in "
                 "orders dashboard, examples/orders.toml)")
      ->envname("PULSEBOARD_CONFIG");
}

std::shared_ptr<const streams::StreamsConfig> load_streams(const std::string& path) {
  if (path.empty())
    return std::make_shared<const streams::StreamsConfig>(streams::builtin_orders_config());
  auto result = streams::load_config(path);
  if (auto* errors = std::get_if<std::vector<streams::ConfigError>>(&result)) {
    for (const auto& e : *errors) std::cerr << e.to_string() << "\n";
    throw std::runtime_error("stream file " + path + ": " + std::to_string(errors->size()) +
                             " error(s), nothing started");
  }
  return std::make_shared<const streams::StreamsConfig>(
      std::get<streams::StreamsConfig>(std::move(result)));
}

std::vector<std::string> all_rooms(const streams::StreamsConfig& config) {
  std::vector<std::string> rooms;
  for (const auto& stream : config.streams)
    for (const auto& room : stream.rooms)
      if (std::find(rooms.begin(), rooms.end(), room) == rooms.end()) rooms.push_back(room);
  return rooms;
}

}  // namespace pulseboard::app
