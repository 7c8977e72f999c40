#pragma once
// HTTP requests under /socket.io/: handshakes, long-polling GET/POST and WebSocket upgrades, with
// the documented error codes (docs/protocol-reference.md, Engine.IO HTTP errors).
#include "http/handler.hpp"

namespace pulseboard::gateway {

class HttpConnection;
struct GatewayContext;
struct Loop;

void serve_engineio(GatewayContext& ctx, Loop& own_loop, HttpConnection& conn, http::Request&& req,
                    http::Respond respond);

}  // namespace pulseboard::gateway
