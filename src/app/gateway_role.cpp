#include "app/gateway_role.hpp"

#include <spdlog/spdlog.h>

#include "app/cluster_setup.hpp"
#include "app/dashboards_route.hpp"
#include "app/env.hpp"
#include "app/role_options.hpp"
#include "app/roles.hpp"
#include "app/streams_options.hpp"
#include "common/log.hpp"
#include "gateway/bridge_intake.hpp"
#include "gateway/gateway.hpp"

namespace pulseboard::app {

std::filesystem::path default_static_dir() {
  std::error_code ec;
  if (auto dir = env("STATIC_DIR")) return *dir;
  if (std::filesystem::is_directory("web/dist", ec)) return std::filesystem::absolute("web/dist");
  std::filesystem::path built = std::filesystem::path(PULSEBOARD_SOURCE_DIR) / "web" / "dist";
  if (std::filesystem::is_directory(built, ec)) return built;
  return {};
}

namespace {

void add_listen_options(CLI::App& cmd, gateway::GatewayConfig& c) {
  cmd.add_option("--port", c.port, "TCP port (PORT)")->envname("PORT")->capture_default_str();
  cmd.add_option("--bind", c.bind_address, "address to listen on")->capture_default_str();
  cmd.add_option("--threads", c.threads,
                 "event loops (0 = one per usable CPU but one, at least 1: the kernel and the "
                 "process's other threads need a CPU too)")
      ->capture_default_str();
  cmd.add_option("--client-url", c.cors_origin, "origin allowed by CORS (CLIENT_URL)")
      ->envname("CLIENT_URL");
  cmd.add_option("--namespace", c.namespaces, "namespaces served (repeatable)")
      ->capture_default_str();
  cmd.add_option("--default-room", c.default_rooms, "rooms every socket joins on connect")
      ->capture_default_str();
}

void add_timing_options(CLI::App& cmd, gateway::GatewayConfig& c) {
  auto ms = [&](const char* name, std::chrono::milliseconds& field, const char* help) {
    cmd.add_option_function<long>(
           name, [&field](long v) { field = std::chrono::milliseconds(v); }, help)
        ->default_str(std::to_string(field.count()));
  };
  ms("--ping-interval", c.ping_interval, "Engine.IO pingInterval in ms");
  ms("--ping-timeout", c.ping_timeout, "Engine.IO pingTimeout in ms");
  ms("--upgrade-timeout", c.upgrade_timeout, "ms a transport upgrade may take");
  ms("--connect-timeout", c.connect_timeout, "ms a client has to send CONNECT");
  ms("--drain-timeout", c.drain_timeout, "ms to drain on SIGTERM before exiting");
  cmd.add_option_function<long>(
         "--recovery-window",
         [&c](long v) { c.recovery_window = std::chrono::milliseconds(std::max(0L, v)); },
         "ms a disconnected client's socket stays recoverable (connection state recovery; "
         "0 = off) (RECOVERY_WINDOW_MS)")
      ->envname("RECOVERY_WINDOW_MS")
      ->default_str(std::to_string(c.recovery_window.count()));
  cmd.add_option_function<long>(
         "--delivery-stale-after-ms",
         [&c](long ms) { c.delivery_stale_after = std::chrono::milliseconds(ms); },
         "/health/delivery and dashboards say stale when no delivery canary arrived for this "
         "long; 0 = never (default 15000) (DELIVERY_STALE_AFTER_MS)")
      ->envname("DELIVERY_STALE_AFTER_MS")
      ->check(CLI::Range(0L, 86'400'000L));
  cmd.add_option("--recovery-history", c.recovery_history,
                 "bridge messages kept per namespace for recovering clients")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

void add_queue_options(CLI::App& cmd, gateway::GatewayConfig& c) {
  cmd.add_option("--max-payload", c.max_payload, "maximum message / polling body in bytes")
      ->capture_default_str();
  cmd.add_option("--max-queued-frames", c.max_queued_frames,
                 "per-connection send queue bound in frames (past it: disconnect)")
      ->capture_default_str();
  cmd.add_option("--max-queued-bytes", c.max_queued_bytes,
                 "per-connection send queue bound in bytes (past it: disconnect)")
      ->capture_default_str();
  cmd.add_option("--conflate-events", c.conflate_events,
                 "latest-value-wins events, comma separated: a newer one replaces the one still "
                 "queued for a socket (retained messages always do) (CONFLATE_EVENTS)")
      ->envname("CONFLATE_EVENTS")
      ->delimiter(',')
      ->default_str("metrics-snapshot");
}

// Admission control and per-client bounds (docs/security.md).
void add_admission_options(CLI::App& cmd, gateway::GatewayConfig& c) {
  auto& a = c.admission;
  cmd.add_option("--max-sessions", a.max_sessions,
                 "Engine.IO sessions this gateway holds at most (0 = no cap; past it: 503)")
      ->envname("MAX_SESSIONS")
      ->capture_default_str();
  cmd.add_option("--max-sessions-per-address", a.max_sessions_per_address,
                 "sessions one client address may hold (0 = no cap; past it: 429)")
      ->envname("MAX_SESSIONS_PER_ADDRESS")
      ->capture_default_str();
  cmd.add_option("--handshake-rate", a.handshakes_per_second,
                 "new sessions per second per client address (0 = no limit; past it: 429)")
      ->envname("HANDSHAKE_RATE")
      ->capture_default_str();
  cmd.add_option("--handshake-burst", a.handshake_burst,
                 "handshakes one address may make at once before --handshake-rate applies")
      ->capture_default_str();
  cmd.add_option("--trusted-proxies", c.trusted_proxies,
                 "proxies (addresses, CIDR) whose X-Forwarded-For names the client "
                 "(TRUSTED_PROXIES; empty: the TCP peer is the client)")
      ->envname("TRUSTED_PROXIES");
  cmd.add_option("--max-connections-per-address", c.max_connections_per_address,
                 "HTTP connections one TCP peer address may hold; more are closed as they are "
                 "accepted (0 = no cap; behind a proxy this is the proxy's address)")
      ->envname("MAX_CONNECTIONS_PER_ADDRESS")
      ->capture_default_str();
}

void add_session_limit_options(CLI::App& cmd, gateway::GatewayConfig& c) {
  cmd.add_option("--max-connect-attempts", c.max_connect_attempts,
                 "refused CONNECTs per session before it is closed")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--max-rooms-per-socket", c.max_rooms_per_socket,
                 "rooms a socket may be in besides its own (further joins are denied)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--event-rate", c.events_per_second,
                 "events per second a session may send, all its sockets together (0 = no "
                 "limit; past the burst: the socket is disconnected)")
      ->capture_default_str();
  cmd.add_option("--event-burst", c.event_burst, "events a session may send at once")
      ->capture_default_str();
  cmd.add_option("--connect-rate", c.connects_per_second,
                 "CONNECTs per second a session may send, refused or not (0 = no limit; past "
                 "the burst: the session is closed)")
      ->capture_default_str();
  cmd.add_option("--connect-burst", c.connect_burst, "CONNECTs a session may send at once")
      ->capture_default_str();
}

void add_access_options(CLI::App& cmd, GatewayOptions& o) {
  auto& c = o.config;
  cmd.add_flag("!--no-polling", c.allow_polling, "refuse the long-polling transport");
  cmd.add_option("--publish-api-key", c.publish_api_key,
                 "bearer key for POST /api/v1/publish (PUBLISH_API_KEY)")
      ->envname("PUBLISH_API_KEY");
  cmd.add_option("--static-dir", c.static_dir, "built dashboard to serve at / (STATIC_DIR)");
  cmd.add_option("--jwt-secret", o.auth.secret, "HS256 secret (JWT_SECRET)");
  cmd.add_option("--jwt-public-key-file", o.auth.public_key_file,
                 "RS256 public key PEM (JWT_PUBLIC_KEY_FILE)");
  cmd.add_option("--jwt-issuer", o.auth.issuer, "required iss (JWT_ISSUER)");
  cmd.add_option("--jwt-audience", o.auth.audience, "required aud (JWT_AUDIENCE)");
  cmd.add_option("--jwt-algorithms", o.auth.algorithms, "allowed algorithms (JWT_ALGORITHMS)");
  cmd.add_flag("--allow-anonymous", o.auth.allow_anonymous,
               "admit sockets without a token (never in production)");
  cmd.add_option("--redis-url", o.redis_url, "Redis for the cluster (REDIS_URL)")
      ->envname("REDIS_URL");
  add_cluster_options(cmd, o.cluster);
  cmd.add_option("--bridge-channel", o.bridge_channel, "channel the worker publishes on")
      ->capture_default_str();
  add_log_level_option(cmd, o.log_level);
  add_streams_config_option(cmd, o.streams_file);
}

}  // namespace

void add_ws_deflate_options(CLI::App& cmd, websocket::DeflateSettings& d) {
  cmd.add_option_function<std::string>(
         "--ws-deflate", [&d](const std::string& v) { d.enabled = v == "on"; },
         "WebSocket permessage-deflate for clients that offer it: on|off (WS_DEFLATE)")
      ->envname("WS_DEFLATE")
      ->check(CLI::IsMember({"on", "off"}))
      ->default_str("on");
  cmd.add_option("--ws-deflate-level", d.level,
                 "zlib level of permessage-deflate, 1 (fastest) to 9 (smallest); a broadcast is "
                 "compressed once for all its recipients (WS_DEFLATE_LEVEL)")
      ->envname("WS_DEFLATE_LEVEL")
      ->check(CLI::Range(1, 9))
      ->capture_default_str();
  cmd.add_option("--ws-deflate-min-bytes", d.min_size,
                 "messages smaller than this are sent uncompressed (WS_DEFLATE_MIN_BYTES)")
      ->envname("WS_DEFLATE_MIN_BYTES")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
}

void add_gateway_options(CLI::App& cmd, GatewayOptions& o) {
  add_ws_deflate_options(cmd, o.config.ws_deflate);
  add_listen_options(cmd, o.config);
  add_timing_options(cmd, o.config);
  add_queue_options(cmd, o.config);
  add_admission_options(cmd, o.config);
  add_session_limit_options(cmd, o.config);
  add_access_options(cmd, o);
  add_server_tls_options(cmd, o.tls);
}

RoleMain add_gateway_role(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("gateway", "Socket.IO v5 gateway: WebSocket fan-out to dashboards");
  auto o = std::make_shared<GatewayOptions>();
  add_gateway_options(*cmd, *o);
  return [cmd, o]() -> int {
    if (!cmd->parsed()) return -1;
    configure_logging(o->log_level);
    fill_from_env(o->auth);
    if (o->config.static_dir.empty()) o->config.static_dir = default_static_dir();
    o->config.tls = load_server_tls(o->tls);
    auto streams_config = load_streams(o->streams_file);
    auto verifier = make_verifier(o->auth);
    gateway::Gateway server(o->config, verifier);
    add_dashboards_route(server, streams_config, verifier);
    std::shared_ptr<RedisCluster> cluster;
    if (!o->redis_url.empty()) {
      cluster = connect_cluster(server, o->redis_url, o->cluster);
      gateway::attach_bridge(server, cluster->broker, o->bridge_channel,
                             o->cluster.max_bridge_message);
      spdlog::info("cluster: bridge channel {} on {}", o->bridge_channel, o->redis_url);
    }
    server.start();
    wait_for_termination([&] { server.shutdown(); }, reload_on_hangup(o->config.tls));
    server.wait();
    spdlog::info("gateway stopped");
    return 0;
  };
}

}  // namespace pulseboard::app
