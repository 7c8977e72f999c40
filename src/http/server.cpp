#include "http/server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>

#include "common/prometheus.hpp"
#include "http/http_connection.hpp"
#include "http/static_files.hpp"

namespace pulseboard::http {
namespace bhttp = boost::beast::http;
using boost::asio::ip::tcp;

namespace {
// Time for the last responses and close frames to be written once the drain is over.
constexpr auto kFlushAfterDrain = std::chrono::milliseconds(200);
}  // namespace

bool Route::matches(std::string_view path) const {
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || prefix.ends_with('/') || path[prefix.size()] == '/';
}

std::string_view to_string(Refusal r) {
  switch (r) {
    case Refusal::malformed_request:
      return "malformed_http_request";
    case Refusal::oversized_header:
      return "oversized_http_header";
    case Refusal::oversized_body:
      return "oversized_message";
    case Refusal::address_limit:
      return "address_connection_limit";
    case Refusal::descriptor_reserve:
      return "descriptor_reserve";
    case Refusal::count_:
      break;
  }
  return "unknown";
}

Server::Server(ServerConfig config) : Server(config, {}) {}

Server::Server(ServerConfig config, std::vector<boost::asio::io_context*> loops)
    : config_(std::move(config)),
      loops_(config_.threads, std::move(loops)),
      connection_limit_(
          ConnectionLimit::create(config_.max_connections_per_address,
                                  ConnectionLimit::descriptor_ceiling_for_this_process())) {}

Server::~Server() {
  shutdown();
  wait();
}

void Server::add_route(Route route) {
  routes_.push_back(std::move(route));
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    return a.prefix.size() > b.prefix.size();
  });
}

void Server::add_route(std::string prefix, Handler handler) {
  Route route;
  route.prefix = std::move(prefix);
  route.handler = std::move(handler);
  add_route(std::move(route));
}

void Server::add_readiness(std::function<bool()> ready) {
  if (!ready_) {
    ready_ = std::move(ready);
    return;
  }
  ready_ = [first = std::move(ready_), then = std::move(ready)] { return first() && then(); };
}

std::uint16_t Server::start() {
  auto& first = loops_.at(0);
  auto address = boost::asio::ip::make_address(config_.bind_address);
  acceptor_ = std::make_unique<tcp::acceptor>(first);
  accept_retry_ = std::make_unique<boost::asio::steady_timer>(first);
  tcp::endpoint ep(address, config_.port);
  acceptor_->open(ep.protocol());
  acceptor_->set_option(boost::asio::socket_base::reuse_address(true));
  acceptor_->bind(ep);
  acceptor_->listen(boost::asio::socket_base::max_listen_connections);
  std::uint16_t port = acceptor_->local_endpoint().port();
  accept_next();
  loops_.start();
  spdlog::info("{} listening on {}:{} ({}) with {} event loops", config_.name, config_.bind_address,
               port, config_.tls ? "https" : "http", loops_.size());
  return port;
}

void Server::accept_next() {
  std::size_t target = loops_.next();
  acceptor_->async_accept(loops_.at(target), [this, target](boost::system::error_code ec,
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
  note_descriptor_reserve(why == ConnectionLimit::Refusal::descriptor_reserve);
  if (why == ConnectionLimit::Refusal::descriptor_reserve)
    refuse(Refusal::descriptor_reserve, peer);
  else if (why == ConnectionLimit::Refusal::address_limit)
    refuse(Refusal::address_limit, peer);
  if (!lease) socket.close(ec);
  return lease;
}

// Logged once per episode: at the reserve every accept is refused, and a line each would bury
// the log.
void Server::note_descriptor_reserve(bool at_reserve) {
  if (at_reserve == at_descriptor_reserve_) return;
  at_descriptor_reserve_ = at_reserve;
  if (at_reserve) {
    spdlog::warn(
        "refusing connections: every descriptor below {} is in use (the rest are kept for "
        "the process; raise the open-file limit)",
        connection_limit_->descriptor_ceiling());
  } else {
    spdlog::info("accepting connections again: descriptors are free below the reserve");
  }
}

void Server::refuse(Refusal r, const boost::asio::ip::address& peer) {
  refusals_[index(r)].fetch_add(1, std::memory_order_relaxed);
  if (hooks_.refused) {
    hooks_.refused(r, peer);
    return;
  }
  if (r != Refusal::address_limit) return;
  auto left_out = refusal_log_.admit();
  if (!left_out) return;
  spdlog::warn("connection from {} refused: it holds --max-connections-per-address={}{}",
               peer.to_string(), connection_limit_->per_address(),
               *left_out ? fmt::format(" ({} similar lines left out)", *left_out) : "");
}

const Route* Server::route_for(std::string_view path) const {
  for (const auto& route : routes_)
    if (route.matches(path)) return &route;
  return nullptr;
}

void Server::serve_builtin(Request&& req, const Respond& respond) {
  std::string_view target = req.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") {
    respond(json_response(req, bhttp::status::ok, R"({"status":"ok"})"));
  } else if (path == "/readyz") {
    bool ready = !draining_ && (!ready_ || ready_());
    respond(json_response(req, ready ? bhttp::status::ok : bhttp::status::service_unavailable,
                          ready ? R"({"status":"ready"})" : R"({"status":"not ready"})"));
  } else if (path == "/metrics") {
    respond(metrics_response(req));
  } else if (!config_.static_dir.empty()) {
    respond(serve_static(config_.static_dir, req));
  } else {
    respond(error_response(req, bhttp::status::not_found, "not_found", "no such endpoint"));
  }
}

Response Server::metrics_response(const Request& req) const {
  Response res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
  res.keep_alive(req.keep_alive());
  res.body() = (hooks_.metrics ? hooks_.metrics() : render_refusals()) +
               connection_limit_->render_prometheus();
  if (config_.tls) res.body() += config_.tls->render_prometheus();
  res.prepare_payload();
  return res;
}

std::string Server::render_refusals() const {
  std::string out =
      "# HELP pulseboard_rejections_total Requests, packets and connections refused, by reason\n"
      "# TYPE pulseboard_rejections_total counter\n";
  for (std::size_t i = 0; i < refusals_.size(); ++i) {
    out += "pulseboard_rejections_total{reason=\"";
    out += to_string(static_cast<Refusal>(i));
    out += "\"} " + std::to_string(refusals_[i].load()) + "\n";
  }
  return out;
}

void Server::shutdown() {
  if (draining_.exchange(true)) return;
  if (!acceptor_) return;
  boost::asio::post(acceptor_->get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  });
  drain_thread_ = std::thread([this] {
    if (hooks_.drain) hooks_.drain();
    std::this_thread::sleep_for(kFlushAfterDrain);
    loops_.stop();
  });
}

void Server::wait() {
  loops_.join();
  if (drain_thread_.joinable()) drain_thread_.join();
}

}  // namespace pulseboard::http
