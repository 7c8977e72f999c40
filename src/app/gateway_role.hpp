#pragma once
// Wiring shared by `pulseboard gateway` and `pulseboard demo`: gateway options from flags and
// environment, and the static dashboard's default location.
#include <CLI/CLI.hpp>

#include <filesystem>

#include "app/auth_options.hpp"
#include "app/cluster_options.hpp"
#include "gateway/config.hpp"

namespace pulseboard::app {

struct GatewayOptions {
  gateway::GatewayConfig config;
  AuthOptions auth;
  std::string redis_url;  // REDIS_URL; empty = no cluster
  std::string bridge_channel = "socket-io-bridge";
  ClusterSettings cluster;  // flags, or REDIS_MODE / SOCKETIO_ADAPTER / SOCKETIO_ADAPTER_KEY
  std::string log_level = "info";
  std::string streams_file;  // --config / PULSEBOARD_CONFIG; empty = the built-in orders dashboard
};

void add_gateway_options(CLI::App& cmd, GatewayOptions& o);
// web/dist in the working directory or in the source tree this binary was built from.
std::filesystem::path default_static_dir();

}  // namespace pulseboard::app
