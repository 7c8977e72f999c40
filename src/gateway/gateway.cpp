#include "gateway/gateway.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>

#include "common/clock.hpp"
#include "common/cpu_count.hpp"
#include "engineio/session.hpp"
#include "gateway/bridge_broadcast.hpp"
#include "gateway/engineio_endpoint.hpp"
#include "recovery/recovery_store_memory.hpp"
#include "sio/packet.hpp"

namespace pulseboard::gateway {
namespace bhttp = boost::beast::http;

namespace {
// The compression stream a broadcast belongs to (websocket/deflate_stream.hpp): its namespace
// and its one room (or the whole namespace). A broadcast to several rooms, or with exceptions,
// reaches sockets that see different sequences of messages, so it is compressed on its own.
std::optional<std::string> deflate_stream_key(const socketio::Broadcast& b) {
  if (b.rooms.size() > 1 || !b.except.empty()) return std::nullopt;
  std::string key = b.nsp;
  key += '\0';
  if (!b.rooms.empty()) key += b.rooms.front();
  return key;
}

// One event loop per usable CPU but one. The kernel's work for the gateway's sockets (TCP
// transmit, the softirqs of the acknowledgements), the process's other threads (Redis, the
// bridge) and whatever shares the machine need a CPU too; a loop per CPU makes them compete
// with the loops. Measured on 2 CPUs at 10,000 dashboards x 10 messages/s (docs/benchmarks.md,
// "Event loops per CPU"): one loop took 10.3 us of CPU per delivered frame and reached 356k
// frames/s saturated; two took 13.6 us and 237k.
unsigned default_loop_count(unsigned cpus) {
  return cpus > 1 ? cpus - 1 : 1;
}

// The publish key compared in constant time: how long a refusal takes tells nothing about how
// much of the key was right. Only the length can leak, through the early exit.
bool publish_key_matches(std::string_view given, std::string_view key) {
  return given.size() == key.size() && CRYPTO_memcmp(given.data(), key.data(), key.size()) == 0;
}

http::ServerConfig http_config(const GatewayConfig& c) {
  http::ServerConfig config;
  config.bind_address = c.bind_address;
  config.port = c.port;
  config.threads = c.threads;
  config.max_connections_per_address = c.max_connections_per_address;
  config.static_dir = c.static_dir;
  config.tls = c.tls;
  config.name = "gateway";
  return config;
}

Rejection rejection_of(http::Refusal r) {
  switch (r) {
    case http::Refusal::malformed_request:
      return Rejection::malformed_http_request;
    case http::Refusal::oversized_header:
      return Rejection::oversized_http_header;
    case http::Refusal::oversized_body:
      return Rejection::oversized_message;
    case http::Refusal::address_limit:
      return Rejection::address_connection_limit;
    case http::Refusal::descriptor_reserve:
    case http::Refusal::count_:
      break;
  }
  return Rejection::descriptor_reserve;
}
}  // namespace

Gateway::Gateway(GatewayConfig config, std::shared_ptr<const auth::JwtVerifier> verifier)
    : config_(std::move(config)),
      stack_({.config = config_,
              .metrics = metrics_,
              .sessions = sessions_,
              .admission = admission_,
              .retained = retained_,
              .verifier = std::move(verifier)}),
      http_(http_config(config_), make_loops(config_.threads)) {
  admission_.set_limits(config_.admission);
  std::string proxies_error;
  auto proxies = http::TrustedProxies::parse(config_.trusted_proxies, &proxies_error);
  if (!proxies) throw std::invalid_argument("--trusted-proxies: " + proxies_error);
  trusted_proxies_ = std::move(*proxies);
  // In process by default; a gateway on Redis shares one store with the others (gateway_role).
  if (config_.recovery_window.count() > 0)
    set_recovery(std::make_shared<recovery::MemoryRecoveryStore>(config_.recovery_history));
  register_routes();
}

Gateway::~Gateway() {
  shutdown();
  wait();
  // The store may hold I/O objects on the loops (a Redis Cluster router's timer): it goes before
  // them, as it did when it was declared after them. Its Redis connection lives on after this,
  // held by its pending reads, until the first loop is destroyed; its pending lookups hold
  // deadline timers on the sessions' loops, destroyed after the first (loops_ is destroyed in
  // order), so those timers never outlive their loop.
  set_recovery(nullptr);
}

std::vector<boost::asio::io_context*> Gateway::make_loops(unsigned threads) {
  const unsigned cpus = usable_cpus();  // reads the cgroup's cpu.max: once
  const unsigned n = threads ? threads : default_loop_count(cpus);
  spdlog::info("gateway: {} event loop{} ({}; {} usable CPU{})", n, n == 1 ? "" : "s",
               threads ? "--threads" : "one per usable CPU but one", cpus, cpus == 1 ? "" : "s");
  std::vector<boost::asio::io_context*> contexts;
  for (unsigned i = 0; i < n; ++i) {
    loops_.push_back(std::make_unique<Loop>(i));
    contexts.push_back(&loops_.back()->ioc);
  }
  return contexts;
}

void Gateway::register_routes() {
  http_.add_route(
      {.prefix = "/socket.io",
       .handler = {},
       .upgrade = std::make_shared<EngineIoRoute>(EndpointParts{.config = config_,
                                                                .metrics = metrics_,
                                                                .sessions = sessions_,
                                                                .admission = admission_,
                                                                .trusted_proxies = trusted_proxies_,
                                                                .stack = stack_,
                                                                .loops = loops_}),
       .max_body = config_.max_payload});
  http_.add_route("/api/v1/publish", [this](http::Request&& req, http::Respond respond) {
    publish(std::move(req), respond);
  });
  http_.set_hooks({.refused = [this](http::Refusal why,
                                     const boost::asio::ip::address& peer) { refused(why, peer); },
                   .metrics =
                       [this] {
                         std::string out = metrics_.render_prometheus();
                         for (auto& render : extra_metrics_) render(out);
                         return out;
                       },
                   .drain = [this] { drain(); }});
}

void Gateway::refused(http::Refusal why, const boost::asio::ip::address& peer) {
  metrics_.reject(rejection_of(why));
  if (why == http::Refusal::address_limit) {
    stack_.log(spdlog::level::warn,
               "connection from {} refused: it holds --max-connections-per-address={}",
               peer.to_string(), config_.max_connections_per_address);
  }
}

void Gateway::add_route(std::string prefix, http::Handler handler) {
  http_.add_route(std::move(prefix), std::move(handler));
}
void Gateway::add_readiness(std::function<bool()> ready) {
  http_.add_readiness(std::move(ready));
}
void Gateway::set_publisher(std::function<void(std::string)> publish) {
  publisher_ = std::move(publish);
}
void Gateway::add_metrics(std::function<void(std::string&)> render) {
  extra_metrics_.push_back(std::move(render));
}

std::uint16_t Gateway::start() {
  return http_.start();
}

void Gateway::publish(http::Request&& req, const http::Respond& respond) {
  if (config_.publish_api_key.empty()) {
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
  if (!publish_key_matches(http::bearer_token(req), config_.publish_api_key)) {
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
}

void Gateway::broadcast(std::shared_ptr<const socketio::Broadcast> b) {
  metrics_.broadcasts_total.fetch_add(1, std::memory_order_relaxed);
  auto deliver = [&] {
    for (auto& loop : loops_) loop->post_broadcast(b);
  };
  std::optional<std::string> stream = deflate_stream_key(*b);
  if (!stream || metrics_.ws_deflate_connections.load(std::memory_order_relaxed) <= 0)
    return deliver();
  std::vector<const websocket::SharedPayload*> payloads;
  for (const auto& frame : b->frames)
    if (frame.deflatable)
      payloads.push_back(static_cast<const websocket::SharedPayload*>(frame.data.get()));
  deflate_streams_.compress(*stream, payloads, deliver);
}

void Gateway::deliver_bridge_message(bridge::Message m) {
  // A replay of a change already delivered (the worker restarted from a lagging position, or
  // published a batch again) is not shown twice.
  if (!m.offset.empty() && !seen_offsets_.first_time(m.nsp + '\0' + m.offset)) {
    metrics_.bridge_replays_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (auto stream = bridge_stream_.lock(); stream && !m.offset.empty()) {
    // The stream's entry id will be its offset; the retained copy carries none (a client that
    // joins later takes the copy as a snapshot, not as a position in the stream).
    if (m.retain) {
      auto copy = to_broadcast(m);
      conflation_.mark(*copy, m);
      retained_.put({m.nsp, m.room, m.event, copy->frames});
    }
    metrics_.bridge_messages_total.fetch_add(1, std::memory_order_relaxed);
    stream->append({std::move(m.nsp), std::move(m.room), std::move(m.event), std::move(m.args),
                    std::move(m.offset)});
    return;
  }
  const auto& store = recovery();
  auto b = to_broadcast(m, store != nullptr);
  conflation_.mark(*b, m);
  if (m.retain) retained_.put({m.nsp, m.room, m.event, b->frames});
  if (store) record_broadcast(*store, *b);
  metrics_.bridge_messages_total.fetch_add(1, std::memory_order_relaxed);
  // Commit -> handed to this gateway's sockets, once per message (not per recipient).
  if (m.committed_at_ms > 0)
    metrics_.delivery_latency.observe(static_cast<double>(now_unix_ms() - m.committed_at_ms) /
                                      1000.0);
  broadcast(std::move(b));
}

void Gateway::shutdown() {
  http_.shutdown();
}

void Gateway::drain() {
  spdlog::info("gateway draining: {} sessions", sessions_.size());
  for (auto& session : sessions_.all())
    boost::asio::post(session->ioc(),
                      [session] { session->close(eio::CloseReason::server_shutting_down); });
  // Give clients the close frames; the server then stops the loops.
  auto deadline = std::chrono::steady_clock::now() + config_.drain_timeout;
  while (sessions_.size() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void Gateway::wait() {
  http_.wait();
}

}  // namespace pulseboard::gateway
