#pragma once
// The HTTP/1.1 server every role runs: one listener, an event loop per thread (loop_pool.hpp),
// routes by path prefix, and the endpoints every process answers: /healthz, /readyz (with the
// owner's readiness conditions) and /metrics (the owner's counters, or the server's own
// refusals, then the connection gauges). Unrouted paths are served from the static directory
// when there is one, else 404. Bounds (docs/security.md): connections per TCP peer address and
// a descriptor reserve at accept (connection_limit.hpp), request header size, and a body limit
// per route checked before the body is read (http_connection.hpp).
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/log_limiter.hpp"
#include "http/connection_limit.hpp"
#include "http/handler.hpp"
#include "http/loop_pool.hpp"
#include "net/server_tls.hpp"

namespace pulseboard::http {

// The largest request body a route accepts unless it says otherwise: roles that serve HTTP
// routes (the orders API) cannot accept more than this.
inline constexpr std::uint64_t kMaxRequestBody = 1024 * 1024;
// Request line and headers together; more is answered with 431.
inline constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;

struct ServerConfig {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 0;  // 0: any free port (start() returns it)
  unsigned threads = 0;    // event loops; 0 = one per core
  // HTTP connections one TCP peer address may hold (0 = no cap); more are closed as they are
  // accepted. Counted per TCP peer, so behind a proxy it bounds the proxy's connections.
  std::size_t max_connections_per_address = 128;
  // Each request, the first on a connection and every kept-alive one, must arrive within this.
  std::chrono::milliseconds request_timeout{30000};
  // What is served for paths no route takes (built web/dist); empty: 404.
  std::filesystem::path static_dir;
  // HTTPS (and WSS) when set: the certificate, its reload and the handshake bound
  // (net/server_tls.hpp). Null: plain HTTP.
  std::shared_ptr<net::ServerTls> tls;
  // Names the process in the start-up log line ("gateway", "orders API", ...).
  std::string name = "http";
};

// A path prefix and what answers under it: `handler`, or `upgrade` when the route may take the
// socket over (a WebSocket upgrade). A prefix matches the path itself and every path below it
// ("/api/v1/orders" takes /api/v1/orders and /api/v1/orders/…, not /api/v1/ordersx); the
// longest match wins.
struct Route {
  std::string prefix;
  Handler handler;
  std::shared_ptr<UpgradeHandler> upgrade;
  // Larger bodies are answered 413 before they are read (a Content-Length over it, at once).
  std::uint64_t max_body = kMaxRequestBody;

  bool matches(std::string_view path) const;
};

// Requests and connections the server refuses itself, counted on /metrics.
enum class Refusal : std::size_t {
  malformed_request,   // a request line or header Beast cannot parse, or bad framing (400)
  oversized_header,    // request headers over kMaxHeaderBytes (431)
  oversized_body,      // a body over its route's max_body (413)
  address_limit,       // max_connections_per_address reached by the TCP peer: closed at accept
  descriptor_reserve,  // the descriptor was among the reserve below the open-file limit: closed
  count_
};
// The reason label of pulseboard_rejections_total, the gateway's names for these refusals.
std::string_view to_string(Refusal r);

// What the owner of a server hooks in; every member is optional. Set before start().
struct ServerHooks {
  // Told of each refusal (after the server counted it). The server logs the refusals of an
  // address at its cap only when this is unset: an owner that takes it logs them its own way.
  std::function<void(Refusal, const boost::asio::ip::address& peer)> refused;
  // The /metrics body before the connection gauges; unset: the server's refusal counters.
  std::function<std::string()> metrics;
  // Called once on shutdown(), on a thread of its own, after the listener closed and before
  // the loops stop: an owner closes its long-lived connections here and waits for them, within
  // its own bound.
  std::function<void()> drain;
};

class Server {
 public:
  explicit Server(ServerConfig config);
  // Runs `loops` (owned by the caller, which must outlive the server) instead of its own.
  Server(ServerConfig config, std::vector<boost::asio::io_context*> loops);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Before start().
  void add_route(Route route);
  void add_route(std::string prefix, Handler handler);
  void set_hooks(ServerHooks hooks) { hooks_ = std::move(hooks); }
  // One more condition for /readyz, with those added before (all must hold).
  void add_readiness(std::function<bool()> ready);

  // Binds and starts the loops; returns the bound port (useful with port 0).
  std::uint16_t start();
  // Stops accepting, runs the drain hook, then stops the loops. Idempotent; any thread.
  void shutdown();
  void wait();  // until the loops have stopped
  bool draining() const { return draining_; }

  const ServerConfig& config() const { return config_; }
  std::size_t loop_count() const { return loops_.size(); }
  boost::asio::io_context& loop(std::size_t i) { return loops_.at(i); }
  std::uint64_t refused(Refusal r) const { return refusals_[index(r)].load(); }

 private:
  friend class HttpConnection;
  static constexpr std::size_t index(Refusal r) { return static_cast<std::size_t>(r); }
  void refuse(Refusal r, const boost::asio::ip::address& peer);
  void accept_next();
  void accept_failed(const boost::system::error_code& ec);
  // The bounds of connection_limit.hpp for a just-accepted socket: a lease, or null after
  // closing the socket.
  std::unique_ptr<ConnectionLimit::Lease> admit_connection(boost::asio::ip::tcp::socket& socket);
  void note_descriptor_reserve(bool at_reserve);
  // The route under which `path` falls; null when none does.
  const Route* route_for(std::string_view path) const;
  // A request no route took: the built-in endpoints, the static files, or 404.
  void serve_builtin(Request&& req, const Respond& respond);
  Response metrics_response(const Request& req) const;
  std::string render_refusals() const;

  ServerConfig config_;
  LoopPool loops_;
  std::vector<Route> routes_;  // longest prefix first
  ServerHooks hooks_;
  std::function<bool()> ready_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Refusal::count_)> refusals_{};
  // Address-limit refusals a remote party causes, logged within this budget when no hook
  // takes them.
  LogLimiter refusal_log_{20};
  std::shared_ptr<ConnectionLimit> connection_limit_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<boost::asio::steady_timer> accept_retry_;
  std::thread drain_thread_;
  std::atomic<bool> draining_{false};
  // Touched only by the acceptor's handlers, which run on the first loop.
  bool accept_failing_ = false;
  bool at_descriptor_reserve_ = false;
  static constexpr std::chrono::milliseconds kAcceptRetry{100};
};

}  // namespace pulseboard::http
