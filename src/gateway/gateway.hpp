#pragma once
// A gateway process: an http::Server whose loops are the gateway's own (each carries its share
// of rooms and sessions), with Engine.IO/Socket.IO on the /socket.io route (WebSocket upgrades
// allowed, bodies up to --max-payload), the publish endpoint on /api/v1/publish, the
// dashboard's static files and any extra HTTP routes (the orders API in `pulseboard demo`).
// The server's /metrics shows the gateway's counters; its drain closes every session.
#include <functional>
#include <memory>
#include <string>

#include "bridge/bridge_message.hpp"
#include "gateway/context.hpp"
#include "http/handler.hpp"
#include "http/server.hpp"
#include "socketio/broadcast.hpp"

namespace pulseboard::gateway {

class Gateway {
 public:
  Gateway(GatewayConfig config, std::shared_ptr<const auth::JwtVerifier> verifier);
  ~Gateway();

  // Routes requests whose path is `prefix` or below it (longest prefix wins). Before start().
  void add_route(std::string prefix, http::Handler handler);
  // One more condition for /readyz beyond "the process lives" (e.g. the broker's subscriptions
  // are live), with those added before (all must hold). Before start().
  void add_readiness(std::function<bool()> ready);
  // Where POST /api/v1/publish sends {room, event, data}: by default straight to local sockets;
  // a cluster sets this to publish on the bridge channel so every gateway delivers it.
  void set_publisher(std::function<void(std::string bridge_json)> publish);

  // Binds and starts the loops; returns the bound port (useful with port 0).
  std::uint16_t start();
  // Stops accepting, closes every session with CloseReason::server_shutting_down, waits up to the
  // drain timeout, then stops the loops. Idempotent; callable from any thread.
  void shutdown();
  void wait();  // until the loops have stopped

  // Thread-safe fan-out to local sockets (every loop delivers to its own members).
  void broadcast(std::shared_ptr<const socketio::Broadcast> broadcast);
  // Delivers a bridge message `{room, event, data, retain?}` (the article's worker format) to
  // local sockets. The caller parsed it within its bounds (bridge::parse) and refused it if not.
  void deliver_bridge_message(bridge::Message m);

  GatewayContext& context() { return ctx_; }

 private:
  // Creates ctx.loops (one per configured thread) and returns their contexts for the server.
  static std::vector<boost::asio::io_context*> make_loops(GatewayContext& ctx, unsigned threads);
  void register_routes();
  void refused(http::Refusal why, const boost::asio::ip::address& peer);
  // The server's drain hook: closes every session and waits for them, within drain_timeout.
  void drain();
  // POST /api/v1/publish.
  void publish(http::Request&& req, const http::Respond& respond);

  // Declared before the server: the loops (and the sessions on them) outlive its threads.
  GatewayContext ctx_;
  http::Server http_;
  std::function<void(std::string)> publisher_;
};

}  // namespace pulseboard::gateway
