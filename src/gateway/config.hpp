#pragma once
// Everything a gateway can be told, with the defaults of the Node server it replaces.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engineio/session_host.hpp"
#include "gateway/admission.hpp"
#include "net/server_tls.hpp"
#include "socketio/client_host.hpp"
#include "websocket/deflate.hpp"

namespace pulseboard::gateway {

// The Engine.IO settings (ping interval and timeout, upgrade timeout, max payload, send queue
// bounds) are its eio::Settings base, which the sessions read; the Socket.IO ones (namespaces,
// default rooms, CONNECT and event bounds, recovery window) its socketio::Settings base, which
// the Socket.IO layer reads.
struct GatewayConfig : eio::Settings, socketio::Settings {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 4000;            // PORT
  unsigned threads = 0;                 // 0 = one io_context per usable CPU but one (at least 1)
  std::string cors_origin;              // CLIENT_URL; empty = no CORS headers
  std::shared_ptr<net::ServerTls> tls;  // HTTPS and WSS (TLS_CERT/TLS_KEY); null: plain

  bool allow_polling = true;
  // WebSocket permessage-deflate: --ws-deflate, --ws-deflate-level (docs/gateway.md).
  websocket::DeflateSettings ws_deflate;

  // Delivery is stale once no canary arrived for this long (delivery_health.hpp); zero: never.
  std::chrono::milliseconds delivery_stale_after{15000};

  // Admission control and per-client bounds (docs/security.md).
  AdmissionLimits admission;
  // Proxies whose X-Forwarded-For names the client (addresses and CIDR networks, comma
  // separated). Empty: the TCP peer is the client, whatever the header says.
  std::string trusted_proxies;
  // HTTP connections one TCP peer address may hold (0 = no cap); more are closed as they are
  // accepted. Counted per TCP peer, so behind a proxy it bounds the proxy's connections.
  std::size_t max_connections_per_address = 128;

  // Connection state recovery: recorded packets kept per namespace (the window and the
  // deadline are in socketio::Settings).
  std::size_t recovery_history = 10000;

  // Latest-value-wins events (besides every retained message): a newer one replaces the one
  // still queued for a socket (docs/gateway.md, "Flow control").
  std::vector<std::string> conflate_events{"metrics-snapshot"};

  // HTTP publish endpoint: POST /api/v1/publish with `Authorization: Bearer <key>`.
  std::string publish_api_key;  // PUBLISH_API_KEY; empty disables the endpoint

  // Static dashboard served at / (built web/dist); empty disables.
  std::filesystem::path static_dir;

  // SIGTERM: stop accepting, close every session with a reason, exit within this bound.
  std::chrono::milliseconds drain_timeout{5000};
};

}  // namespace pulseboard::gateway
