#include "gateway/server.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "gateway/bridge_broadcast.hpp"
#include "gateway/engine_session.hpp"
#include "gateway/engineio_endpoint.hpp"
#include "gateway/http_connection.hpp"
#include "gateway/static_files.hpp"
#include "recovery/recovery_store_memory.hpp"
#include "socketio/packet.hpp"

namespace pulseboard::gateway {
namespace bhttp = boost::beast::http;
using boost::asio::ip::tcp;

namespace {
// The publish key compared in constant time: how long a refusal takes tells nothing about how
// much of the key was right. Only the length can leak, through the early exit.
bool publish_key_matches(std::string_view given, std::string_view key) {
  return given.size() == key.size() && CRYPTO_memcmp(given.data(), key.data(), key.size()) == 0;
}
}  // namespace

Server::Server(GatewayConfig config, std::shared_ptr<const auth::JwtVerifier> verifier) {
  ctx_.config = std::move(config);
  ctx_.verifier = std::move(verifier);
  ctx_.admission.set_limits(ctx_.config.admission);
  std::string proxies_error;
  auto proxies = TrustedProxies::parse(ctx_.config.trusted_proxies, &proxies_error);
  if (!proxies) throw std::invalid_argument("--trusted-proxies: " + proxies_error);
  ctx_.trusted_proxies = std::move(*proxies);
  connection_limit_ =
      ConnectionLimit::create(ctx_.config.max_connections_per_address,
                              ConnectionLimit::descriptor_ceiling_for_this_process());
  unsigned n =
      ctx_.config.threads ? ctx_.config.threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) ctx_.loops.push_back(std::make_unique<Loop>(i));
  // In process by default; a gateway on Redis shares one store with the others (gateway_role).
  if (ctx_.config.recovery_window.count() > 0)
    ctx_.recovery = std::make_shared<recovery::MemoryRecoveryStore>(ctx_.config.recovery_history);
}

Server::~Server() {
  shutdown();
  wait();
}

void Server::add_route(std::string prefix, http::Handler handler) {
  routes_.emplace_back(std::move(prefix), std::move(handler));
  std::sort(routes_.begin(), routes_.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

void Server::set_readiness(std::function<bool()> ready) {
  ready_ = std::move(ready);
}
void Server::add_readiness(std::function<bool()> ready) {
  if (!ready_) return set_readiness(std::move(ready));
  ready_ = [first = std::move(ready_), then = std::move(ready)] { return first() && then(); };
}
void Server::set_publisher(std::function<void(std::string)> publish) {
  publisher_ = std::move(publish);
}

std::uint16_t Server::start() {
  auto& first = *ctx_.loops.front();
  auto address = boost::asio::ip::make_address(ctx_.config.bind_address);
  acceptor_ = std::make_unique<tcp::acceptor>(first.ioc);
  accept_retry_ = std::make_unique<boost::asio::steady_timer>(first.ioc);
  tcp::endpoint ep(address, ctx_.config.port);
  acceptor_->open(ep.protocol());
  acceptor_->set_option(boost::asio::socket_base::reuse_address(true));
  acceptor_->bind(ep);
  acceptor_->listen(boost::asio::socket_base::max_listen_connections);
  std::uint16_t port = acceptor_->local_endpoint().port();
  accept_next();
  for (auto& loop : ctx_.loops) {
    threads_.emplace_back([l = loop.get()] {
      auto guard = boost::asio::make_work_guard(l->ioc);
      l->ioc.run();
    });
  }
  spdlog::info("gateway listening on {}:{} with {} event loops", ctx_.config.bind_address, port,
               ctx_.loops.size());
  return port;
}

void Server::accept_next() {
  Loop& target = ctx_.next_loop();
  acceptor_->async_accept(target.ioc, [this, &target](boost::system::error_code ec,
                                                      tcp::socket socket) {
    if (ec) {
      if (ec == boost::asio::error::operation_aborted || draining_) return;
      accept_failed(ec);
      return;
    }
    if (accept_failing_) {
      accept_failing_ = false;
      spdlog::info("accepting connections again");
    }
    if (auto lease = admit_connection(socket)) {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<HttpConnection>(std::move(socket), *this, target, std::move(lease))->start();
    }
    if (!draining_) accept_next();
  });
}

// Out of file descriptors (EMFILE/ENFILE) and similar. The refused connection stays in the
// listen backlog, so the acceptor is readable again at once: accepting again immediately
// would spin a core and write a warning per attempt. Wait a little instead, and log once per
// episode rather than once per attempt.
void Server::accept_failed(const boost::system::error_code& ec) {
  if (!accept_failing_) {
    accept_failing_ = true;
    spdlog::warn("accept failed: {} (at the open-file limit? retrying every {} ms)", ec.message(),
                 kAcceptRetry.count());
  }
  accept_retry_->expires_after(kAcceptRetry);
  accept_retry_->async_wait([this](boost::system::error_code wait_ec) {
    if (!wait_ec && !draining_) accept_next();
  });
}

// Refused connections are closed before a byte is read: holding them open to answer would
// spend the very descriptors the bound is there to keep.
std::unique_ptr<ConnectionLimit::Lease> Server::admit_connection(tcp::socket& socket) {
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec).address();
  auto why = ConnectionLimit::Refusal::none;
  std::unique_ptr<ConnectionLimit::Lease> lease;
  if (!ec) lease = connection_limit_->admit(peer, socket.native_handle(), why);
  if (lease) {
    if (at_descriptor_reserve_) {
      at_descriptor_reserve_ = false;
      spdlog::info("accepting connections again: descriptors are free below the reserve");
    }
    return lease;
  }
  if (why == ConnectionLimit::Refusal::descriptor_reserve) {
    ctx_.metrics.reject(Rejection::descriptor_reserve);
    if (!at_descriptor_reserve_) {
      at_descriptor_reserve_ = true;
      spdlog::warn(
          "refusing connections: every descriptor below {} is in use (the rest are kept for "
          "the process; raise the open-file limit)",
          connection_limit_->descriptor_ceiling());
    }
  } else if (why == ConnectionLimit::Refusal::address_limit) {
    ctx_.metrics.reject(Rejection::address_connection_limit);
    ctx_.log_refusal(spdlog::level::warn,
                     "connection from {} refused: it holds --max-connections-per-address={}",
                     peer.to_string(), connection_limit_->per_address());
  }
  socket.close(ec);
  return nullptr;
}

void Server::handle_request(HttpConnection& conn, http::Request&& req, http::Respond respond) {
  std::string_view target = req.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (ctx_.config.serve_socketio && (path.starts_with("/socket.io/") || path == "/socket.io")) {
    serve_engineio(ctx_, conn.loop(), conn, std::move(req), std::move(respond));
    return;
  }
  // Routes first: a role may answer /readyz or /metrics itself (the worker's operator port).
  for (auto& [prefix, handler] : routes_) {
    if (path.starts_with(prefix)) {
      handler(std::move(req), std::move(respond));
      return;
    }
  }
  if (path == "/healthz") {
    respond(http::json_response(req, bhttp::status::ok, R"({"status":"ok"})"));
    return;
  }
  if (path == "/readyz") {
    bool ready = !draining_ && (!ready_ || ready_());
    respond(http::json_response(req, ready ? bhttp::status::ok : bhttp::status::service_unavailable,
                                ready ? R"({"status":"ready"})" : R"({"status":"not ready"})"));
    return;
  }
  if (path == "/metrics") {
    http::Response res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
    res.keep_alive(req.keep_alive());
    res.body() = ctx_.metrics.render_prometheus() + connection_limit_->render_prometheus();
    res.prepare_payload();
    respond(std::move(res));
    return;
  }
  if (path == "/api/v1/publish") {
    if (ctx_.config.publish_api_key.empty()) {
      respond(http::error_response(req, bhttp::status::not_found, "not_found",
                                   "the publish endpoint is disabled (set PUBLISH_API_KEY)"));
      return;
    }
    if (req.method() != bhttp::verb::post) {
      auto res = http::error_response(req, bhttp::status::method_not_allowed, "method_not_allowed",
                                      "use POST");
      res.set(bhttp::field::allow, "POST");
      respond(std::move(res));
      return;
    }
    if (!publish_key_matches(http::bearer_token(req), ctx_.config.publish_api_key)) {
      respond(http::error_response(req, bhttp::status::unauthorized, "unauthorized",
                                   "a valid API key is required"));
      return;
    }
    // Validate here so a bad body is the caller's 400, not a silent drop downstream.
    std::optional<bridge::Message> m = bridge::parse(req.body());
    if (!m || sio::is_reserved_event_name(m->event)) {
      respond(http::error_response(
          req, bhttp::status::bad_request, "validation_failed",
          "body must be {\"room\": string, \"event\": non-reserved string, \"data\": any}"));
      return;
    }
    if (publisher_)
      publisher_(req.body());
    else
      deliver_bridge_message(std::move(*m));
    respond(http::json_response(req, bhttp::status::accepted, R"({"status":"accepted"})"));
    return;
  }
  if (!ctx_.config.static_dir.empty()) {
    respond(serve_static(ctx_.config.static_dir, req));
    return;
  }
  respond(http::error_response(req, bhttp::status::not_found, "not_found", "no such endpoint"));
}

void Server::broadcast(std::shared_ptr<const Broadcast> b) {
  ctx_.metrics.broadcasts_total.fetch_add(1, std::memory_order_relaxed);
  for (auto& loop : ctx_.loops)
    boost::asio::post(loop->ioc, [l = loop.get(), b] { l->deliver(b); });
}

void Server::deliver_bridge_message(bridge::Message m) {
  // A replay of a change already delivered (the worker restarted from a lagging position, or
  // published a batch again) is not shown twice.
  if (!m.offset.empty() && !ctx_.seen_offsets.first_time(m.nsp + '\0' + m.offset)) {
    ctx_.metrics.bridge_replays_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (auto stream = ctx_.bridge_stream.lock(); stream && !m.offset.empty()) {
    // The stream's entry id will be its offset; the retained copy carries none (a client that
    // joins later takes the copy as a snapshot, not as a position in the stream).
    if (m.retain) ctx_.retained.put({m.nsp, m.room, m.event, to_broadcast(m)->frames});
    ctx_.metrics.bridge_messages_total.fetch_add(1, std::memory_order_relaxed);
    stream->append({std::move(m.nsp), std::move(m.room), std::move(m.event), std::move(m.args),
                    std::move(m.offset)});
    return;
  }
  auto b = to_broadcast(m, ctx_.recovery != nullptr);
  if (m.retain) ctx_.retained.put({m.nsp, m.room, m.event, b->frames});
  if (ctx_.recovery) record_broadcast(*ctx_.recovery, *b);
  ctx_.metrics.bridge_messages_total.fetch_add(1, std::memory_order_relaxed);
  broadcast(std::move(b));
}

void Server::shutdown() {
  if (draining_.exchange(true)) return;
  if (!acceptor_) return;
  spdlog::info("gateway draining: {} sessions", ctx_.sessions.size());
  boost::asio::post(acceptor_->get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  });
  for (auto& session : ctx_.sessions.all())
    boost::asio::post(session->loop().ioc, [session] { session->close("server shutting down"); });
  // Give clients the close frames, then stop the loops within the bound.
  drain_thread_ = std::thread([this] {
    auto deadline = std::chrono::steady_clock::now() + ctx_.config.drain_timeout;
    while (ctx_.sessions.size() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // Close frames are written asynchronously; allow a moment for them to flush.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (auto& loop : ctx_.loops) loop->ioc.stop();
    stopped_ = true;
  });
}

void Server::wait() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  if (drain_thread_.joinable()) drain_thread_.join();
}

}  // namespace pulseboard::gateway
