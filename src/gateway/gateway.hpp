#pragma once
// A gateway process: an http::Server whose loops are the gateway's own (each carries its share
// of rooms and sessions), with Engine.IO/Socket.IO on the /socket.io route (WebSocket upgrades
// allowed, bodies up to --max-payload), the publish endpoint on /api/v1/publish, the
// dashboard's static files and any extra HTTP routes (the orders API in `pulseboard demo`).
// The server's /metrics shows the gateway's counters; its drain closes every session.
#include <functional>
#include <memory>
#include <string>

#include "auth/jwt.hpp"
#include "bridge/bridge_message.hpp"
#include "cluster/adapter.hpp"
#include "gateway/admission.hpp"
#include "gateway/config.hpp"
#include "gateway/conflation.hpp"
#include "gateway/loop.hpp"
#include "gateway/metrics.hpp"
#include "gateway/session_stack.hpp"
#include "http/client_address.hpp"
#include "http/handler.hpp"
#include "http/server.hpp"
#include "recovery/recovery_store.hpp"
#include "socketio/broadcast.hpp"
#include "socketio/retained_messages.hpp"
#include "websocket/deflate_stream.hpp"

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
  // More Prometheus text after the gateway's own counters on /metrics. Before start().
  void add_metrics(std::function<void(std::string& out)> render);

  // Binds and starts the loops; returns the bound port (useful with port 0).
  std::uint16_t start();
  // Stops accepting, closes every session with CloseReason::server_shutting_down, waits up to the
  // drain timeout, then stops the loops. Idempotent; callable from any thread.
  void shutdown();
  void wait();  // until the loops have stopped

  // Thread-safe fan-out to local sockets (every loop delivers to its own members). A broadcast to
  // one room is compressed in that room's stream first when WebSocket clients agreed to deflate.
  void broadcast(std::shared_ptr<const socketio::Broadcast> broadcast);
  // Delivers a bridge message `{room, event, data, retain?}` (the article's worker format) to
  // local sockets. The caller parsed it within its bounds (bridge::parse) and refused it if not.
  void deliver_bridge_message(bridge::Message m);

  // What the parts wired to a gateway (the bridge intake, the cluster adapters' LoopSockets, the
  // process's setup) use of it.
  const GatewayConfig& config() const { return config_; }
  GatewayMetrics& metrics() { return metrics_; }
  RefusalLog& refusal_log() { return stack_; }
  const std::vector<std::unique_ptr<Loop>>& loops() const { return loops_; }
  SessionRegistry& sessions() { return sessions_; }
  socketio::RetainedMessages& retained() { return retained_; }
  // Which bridge messages are latest-value-wins, and their keys (conflation.hpp).
  ConflationKeys& conflation() { return conflation_; }
  SessionStack& session_stack() { return stack_; }
  // Connection state recovery; null when config().recovery_window is 0. Replaced before start()
  // by a store shared with other gateways (cluster setup).
  const std::shared_ptr<recovery::RecoveryStore>& recovery() const {
    return stack_.socketio().recovery_store();
  }
  void set_recovery(std::shared_ptr<recovery::RecoveryStore> store) {
    stack_.socketio().set_recovery_store(std::move(store));
  }
  // Set with the streams adapter (cluster/adapter_streams.hpp): a bridge message with an offset
  // goes into the Redis Stream, and every gateway delivers it from there with its entry id as
  // the offset, instead of straight from the bridge.
  void set_bridge_stream(std::weak_ptr<cluster::BridgeStream> stream) {
    bridge_stream_ = std::move(stream);
  }

 private:
  // Creates loops_ (one per configured thread) and returns their contexts for the server.
  std::vector<boost::asio::io_context*> make_loops(unsigned threads);
  void register_routes();
  void refused(http::Refusal why, const boost::asio::ip::address& peer);
  // The server's drain hook: closes every session and waits for them, within drain_timeout.
  void drain();
  // POST /api/v1/publish.
  void publish(http::Request&& req, const http::Respond& respond);

  // Declared before the server: the loops (and the sessions on them) outlive its threads.
  GatewayConfig config_;
  GatewayMetrics metrics_;
  // Declared before the loops and sessions: a session still registered at shutdown gives its
  // admission place back, and counts and logs through the stack, when it is destroyed.
  Admission admission_;
  socketio::RetainedMessages retained_;
  SessionStack stack_;
  http::TrustedProxies trusted_proxies_;
  std::vector<std::unique_ptr<Loop>> loops_;
  SessionRegistry sessions_;
  SeenOffsets seen_offsets_;
  ConflationKeys conflation_{config_.conflate_events};
  std::weak_ptr<cluster::BridgeStream> bridge_stream_;
  // The rooms' shared compression contexts (websocket/deflate_stream.hpp).
  websocket::DeflateStreams deflate_streams_{config_.ws_deflate.level, metrics_.ws_deflate_streams};
  http::Server http_;
  std::function<void(std::string)> publisher_;
  std::vector<std::function<void(std::string&)>> extra_metrics_;
};

}  // namespace pulseboard::gateway
