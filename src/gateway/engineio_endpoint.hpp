#pragma once
// HTTP requests under /socket.io/: handshakes, long-polling GET/POST and WebSocket upgrades, with
// the documented error codes (docs/protocol-reference.md, Engine.IO HTTP errors).
#include <memory>
#include <vector>

#include "http/handler.hpp"

namespace pulseboard::http {
class TrustedProxies;
}

namespace pulseboard::gateway {

struct GatewayConfig;
struct GatewayMetrics;
struct Loop;
class Admission;
class SessionRegistry;
class SessionStack;

// What the endpoint uses of its gateway.
struct EndpointParts {
  const GatewayConfig& config;
  GatewayMetrics& metrics;
  SessionRegistry& sessions;
  Admission& admission;
  const http::TrustedProxies& trusted_proxies;
  SessionStack& stack;  // creates sessions and transports; the refusal log budget
  const std::vector<std::unique_ptr<Loop>>& loops;
};

void serve_engineio(const EndpointParts& parts, Loop& own_loop, http::Connection& conn,
                    http::Request&& req, http::Respond respond);

// The /socket.io route of the gateway's HTTP server: the server's loop i is the gateway's
// loops[i], so a new session lives on the loop its connection was accepted on.
class EngineIoRoute final : public http::UpgradeHandler {
 public:
  explicit EngineIoRoute(EndpointParts parts) : parts_(parts) {}
  void handle(http::Request&& req, http::Connection& conn, http::Respond respond) override;

 private:
  EndpointParts parts_;
};

}  // namespace pulseboard::gateway
