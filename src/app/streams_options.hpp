#pragma once
// The stream file a role reads (docs/streams.md): --config FILE, or PULSEBOARD_CONFIG.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "streams/stream_config.hpp"

namespace pulseboard::app {

void add_streams_config_option(CLI::App& cmd, std::string& path);

// The checked file, or the built-in orders example (examples/orders.toml) when `path` is empty.
// A bad file prints every error on stderr (file:line:col: key path: reason) and throws, so the
// role never starts half-configured.
std::shared_ptr<const streams::StreamsConfig> load_streams(const std::string& path);

// Every room of every stream, each once, in file order.
std::vector<std::string> all_rooms(const streams::StreamsConfig& config);

}  // namespace pulseboard::app
