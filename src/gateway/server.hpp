#pragma once
// A gateway process: one io_context per thread, one listener, Engine.IO/Socket.IO under
// /socket.io/, health and metrics endpoints, the publish endpoint, the dashboard's static files
// and any extra HTTP routes (the orders API in `pulseboard demo`).
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bridge/bridge_message.hpp"
#include "gateway/connection_limit.hpp"
#include "gateway/context.hpp"
#include "gateway/frame.hpp"
#include "http/handler.hpp"

namespace pulseboard::gateway {

class Server {
 public:
  Server(GatewayConfig config, std::shared_ptr<const auth::JwtVerifier> verifier);
  ~Server();

  // Routes requests whose path starts with `prefix` (longest prefix wins). Before start().
  void add_route(std::string prefix, http::Handler handler);
  // Readiness beyond "the process lives" (e.g. the broker's subscriptions are live).
  void set_readiness(std::function<bool()> ready);
  // One more condition for /readyz, with those set before (all must hold). Before start().
  void add_readiness(std::function<bool()> ready);
  // Where POST /api/v1/publish sends {room, event, data}: by default straight to local sockets;
  // a cluster sets this to publish on the bridge channel so every gateway delivers it.
  void set_publisher(std::function<void(std::string bridge_json)> publish);

  // Binds and starts the loops; returns the bound port (useful with port 0).
  std::uint16_t start();
  // Stops accepting, closes every session with "server shutting down", waits up to the drain
  // timeout, then stops the loops. Idempotent; callable from any thread.
  void shutdown();
  void wait();  // until the loops have stopped

  // Thread-safe fan-out to local sockets (every loop delivers to its own members).
  void broadcast(std::shared_ptr<const Broadcast> broadcast);
  // Delivers a bridge message `{room, event, data, retain?}` (the article's worker format) to
  // local sockets. The caller parsed it within its bounds (bridge::parse) and refused it if not.
  void deliver_bridge_message(bridge::Message m);

  GatewayContext& context() { return ctx_; }

 private:
  void accept_next();
  void accept_failed(const boost::system::error_code& ec);
  // The bounds of connection_limit.hpp for a just-accepted socket: a lease, or null after
  // closing the socket.
  std::unique_ptr<ConnectionLimit::Lease> admit_connection(boost::asio::ip::tcp::socket& socket);
  void handle_request(class HttpConnection& conn, http::Request&& req, http::Respond respond);
  friend class HttpConnection;

  GatewayContext ctx_;
  std::vector<std::pair<std::string, http::Handler>> routes_;
  std::function<bool()> ready_;
  std::function<void(std::string)> publisher_;
  std::shared_ptr<ConnectionLimit> connection_limit_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<boost::asio::steady_timer> accept_retry_;
  std::vector<std::thread> threads_;
  std::thread drain_thread_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
  // Touched only by the acceptor's handlers, which run on the first loop.
  bool accept_failing_ = false;
  bool at_descriptor_reserve_ = false;
  static constexpr std::chrono::milliseconds kAcceptRetry{100};
};

}  // namespace pulseboard::gateway
