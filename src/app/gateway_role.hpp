#pragma once
// Wiring shared by `pulseboard gateway` and `pulseboard demo`: gateway options from flags and
// environment, and the static dashboard's default location.
#include <CLI/CLI.hpp>
#include "app/server_tls_options.hpp"

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
  ServerTlsOptions tls;     // --tls-cert/--tls-key (TLS_CERT/TLS_KEY)
  ClusterSettings cluster;  // flags, or REDIS_MODE / SOCKETIO_ADAPTER / SOCKETIO_ADAPTER_KEY
  std::string log_level = "info";
  std::string streams_file;  // --config / PULSEBOARD_CONFIG; empty = the built-in orders dashboard
};

void add_gateway_options(CLI::App& cmd, GatewayOptions& o);
// --ws-deflate on|off (WS_DEFLATE), --ws-deflate-level (WS_DEFLATE_LEVEL) and
// --ws-deflate-min-bytes (WS_DEFLATE_MIN_BYTES).
void add_ws_deflate_options(CLI::App& cmd, websocket::DeflateSettings& d);
// web/dist in the working directory or in the source tree this binary was built from.
std::filesystem::path default_static_dir();

}  // namespace pulseboard::app
