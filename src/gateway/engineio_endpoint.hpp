#pragma once
// HTTP requests under /socket.io/: handshakes, long-polling GET/POST and WebSocket upgrades, with
// the documented error codes (docs/protocol-reference.md, Engine.IO HTTP errors).
#include "http/handler.hpp"

namespace pulseboard::gateway {

struct GatewayContext;
struct Loop;

void serve_engineio(GatewayContext& ctx, Loop& own_loop, http::Connection& conn,
                    http::Request&& req, http::Respond respond);

// The /socket.io route of the gateway's HTTP server: the server's loop i is the gateway's
// ctx.loops[i], so a new session lives on the loop its connection was accepted on.
class EngineIoRoute final : public http::UpgradeHandler {
 public:
  explicit EngineIoRoute(GatewayContext& ctx) : ctx_(ctx) {}
  void handle(http::Request&& req, http::Connection& conn, http::Respond respond) override;

 private:
  GatewayContext& ctx_;
};

}  // namespace pulseboard::gateway
