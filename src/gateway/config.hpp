#pragma once
// Everything a gateway can be told, with the defaults of the Node server it replaces.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engineio/session_host.hpp"
#include "gateway/admission.hpp"

namespace pulseboard::gateway {

// The Engine.IO settings (ping interval and timeout, upgrade timeout, max payload, send queue
// bounds) are its eio::Settings base, which the sessions read.
struct GatewayConfig : eio::Settings {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 4000;  // PORT
  unsigned threads = 0;       // 0 = one io_context per core
  std::string cors_origin;    // CLIENT_URL; empty = no CORS headers

  std::chrono::milliseconds connect_timeout{45000};  // CONNECT must arrive within this
  bool allow_polling = true;

  // Socket.IO.
  std::vector<std::string> namespaces{"/"};
  std::vector<std::string> default_rooms{"live-metrics"};
  std::size_t max_attachments = 10;

  // Admission control and per-client bounds (docs/security.md).
  AdmissionLimits admission;
  // Proxies whose X-Forwarded-For names the client (addresses and CIDR networks, comma
  // separated). Empty: the TCP peer is the client, whatever the header says.
  std::string trusted_proxies;
  // HTTP connections one TCP peer address may hold (0 = no cap); more are closed as they are
  // accepted. Counted per TCP peer, so behind a proxy it bounds the proxy's connections.
  std::size_t max_connections_per_address = 128;
  std::size_t max_connect_attempts = 10;  // failed CONNECTs per session before it is closed
  std::size_t max_rooms_per_socket = 64;  // rooms a socket may be in, besides its own id room
  // Per Engine.IO session, all its namespaces together, so a socket that leaves and comes back
  // starts from what its session had left. Past the event burst the socket is disconnected.
  double events_per_second = 20;
  double event_burst = 60;
  // CONNECTs per session, refused or not (each may cost a token verification and a recovery
  // store write); past the burst the session is closed.
  double connects_per_second = 1;
  double connect_burst = 10;

  // Connection state recovery (docs/recovery.md): how long a disconnected client's socket
  // (sid, rooms, missed packets) is kept; 0 turns recovery off. Within it, a client that comes
  // back, to this gateway or another one on the same Redis, gets its socket back.
  std::chrono::milliseconds recovery_window{120000};
  std::size_t recovery_history = 10000;  // recorded packets kept per namespace
  // How long a CONNECT waits for the recovery store before it gets a fresh socket instead.
  std::chrono::milliseconds recovery_deadline{5000};

  // HTTP publish endpoint: POST /api/v1/publish with `Authorization: Bearer <key>`.
  std::string publish_api_key;  // PUBLISH_API_KEY; empty disables the endpoint

  // Static dashboard served at / (built web/dist); empty disables.
  std::filesystem::path static_dir;

  // SIGTERM: stop accepting, close every session with a reason, exit within this bound.
  std::chrono::milliseconds drain_timeout{5000};
};

}  // namespace pulseboard::gateway
