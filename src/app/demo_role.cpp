#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include "api/orders_api.hpp"
#include "app/auth_options.hpp"
#include "app/dashboards_route.hpp"
#include "app/env.hpp"
#include "app/gateway_role.hpp"
#include "app/order_feed.hpp"
#include "app/role_options.hpp"
#include "app/roles.hpp"
#include "app/server_tls_options.hpp"
#include "app/stream_sources.hpp"
#include "app/streams_options.hpp"
#include "auth/jwt.hpp"
#include "broker/broker_memory.hpp"
#include "changes/change_source.hpp"
#include "changes/sqlite_outbox_triggers.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"
#include "gateway/bridge_intake.hpp"
#include "gateway/gateway.hpp"
#include "store/order_store.hpp"
#include "worker/worker.hpp"

namespace pulseboard::app {

namespace {

struct DemoOptions {
  gateway::GatewayConfig gateway;
  std::string database_url = "sqlite:pulseboard-demo.db";
  double rate = 2.0;
  std::string secret;
  ServerTlsOptions tls;
  std::string log_level = "info";
  std::string streams_file;
};

void add_demo_options(CLI::App& cmd, DemoOptions& o) {
  o.gateway.bind_address = "127.0.0.1";
  cmd.add_option("--port", o.gateway.port, "TCP port for the dashboard, API and Socket.IO (PORT)")
      ->envname("PORT")
      ->capture_default_str();
  cmd.add_option("--bind", o.gateway.bind_address, "address to listen on")->capture_default_str();
  cmd.add_option("--database", o.database_url, "SQLite file (sqlite:path)")->capture_default_str();
  cmd.add_option("--rate", o.rate, "synthetic orders per second (0: none)")->capture_default_str();
  cmd.add_option("--jwt-secret", o.secret,
                 "HS256 secret, 32 bytes or more (default: random per run)")
      ->envname("JWT_SECRET");
  cmd.add_option("--static-dir", o.gateway.static_dir, "built dashboard (STATIC_DIR)");
  add_ws_deflate_options(cmd, o.gateway.ws_deflate);
  add_server_tls_options(cmd, o.tls);
  add_log_level_option(cmd, o.log_level);
  add_streams_config_option(cmd, o.streams_file);
}

// The local user's token, handed to the dashboard: only the demo has this endpoint. Any page
// that can reach it gets one, so it is a viewer token: it reads orders and joins live-metrics,
// and has no scope to write (the write token is printed instead). It may join the rooms of every
// stream the demo serves (with the built-in dashboard: live-metrics).
void add_dev_token_route(gateway::Gateway& server, const std::string& secret,
                         std::vector<std::string> rooms) {
  server.add_route("/api/v1/dev-token", [secret, rooms = std::move(rooms)](http::Request&& req,
                                                                           http::Respond respond) {
    auto claims = auth::dev_claims("demo-viewer", rooms, std::chrono::hours(24));
    std::string body = R"({"token":")" + auth::mint_hs256(secret, claims) + "\"}";
    respond(http::json_response(req, boost::beast::http::status::ok, std::move(body)));
  });
}

void print_welcome(const std::string& secret, std::uint16_t port) {
  const std::string write_token = auth::mint_hs256(
      secret, auth::dev_claims("demo-user", {"live-metrics"}, std::chrono::hours(24), {}, {},
                               {std::string(api::kWriteScope)}));
  std::cout
      << "\n  Pulseboard demo is live:  http://localhost:" << port << "/\n"
      << "  (the dashboard fetches a read-only token from /api/v1/dev-token)\n\n"
      << "  Post an order (this token has scope " << api::kWriteScope << "):\n"
      << "    curl -X POST http://localhost:" << port << "/api/v1/orders \\\n"
      << "      -H 'Authorization: Bearer " << write_token << "' \\\n"
      << "      -H 'Content-Type: application/json' \\\n"
      << "      -d '{\"amount\": 42.5, \"category\": \"books\", \"status\": \"completed\"}'\n\n"
      << "  Ctrl-C stops it.\n"
      << std::endl;
}

// The worker's change source: with a stream file, every stream of it over the demo's SQLite
// file (its tables checked and given outbox triggers, as the worker role does); without one,
// the built-in orders stream.
std::unique_ptr<changes::ChangeSource> open_demo_source(const DemoOptions& o,
                                                        const streams::StreamsConfig& config,
                                                        worker::Worker::Options& worker_options) {
  changes::SourceOptions source_options;
  std::vector<std::string> sqlite_tables;
  if (!o.streams_file.empty())
    apply_stream_file(config, StreamSources{o.streams_file, o.database_url, true}, worker_options,
                      source_options, sqlite_tables);
  std::string error;
  auto source = changes::open_change_source(o.database_url, source_options, sqlite_tables, &error);
  if (!source) throw std::runtime_error("cannot open the change source: " + error);
  return source;
}

int run_demo(DemoOptions& o) {
  configure_logging(o.log_level);
  // 43 characters of a 64-letter alphabet: 258 random bits, past HS256's 256 (RFC 7518 3.2).
  if (o.secret.empty()) o.secret = random_token(43);
  if (o.gateway.static_dir.empty()) o.gateway.static_dir = default_static_dir();
  if (o.gateway.static_dir.empty())
    spdlog::warn("no built dashboard found: run `npm ci && npm run build` in web/");

  auto streams_config = load_streams(o.streams_file);
  worker::Worker::Options worker_options;
  o.gateway.tls = load_server_tls(o.tls);
  AuthOptions auth;
  auth.secret = o.secret;
  auto verifier = make_verifier(auth);
  std::shared_ptr<store::OrderStore> store = store::open_store(o.database_url);
  worker_options.history = store;  // a restarted demo shows the last 5 minutes again
  auto broker = std::make_shared<broker::MemoryBroker>();
  auto orders = std::make_shared<api::OrdersApi>(store, verifier, api::OrdersApi::Options{});

  gateway::Gateway server(o.gateway, verifier);
  gateway::attach_bridge(server, broker, "socket-io-bridge");
  server.add_route(std::string(api::kOrdersPath), orders->handler());
  add_dev_token_route(server, o.secret, all_rooms(*streams_config));
  add_dashboards_route(server, streams_config, verifier);

  auto source = open_demo_source(o, *streams_config, worker_options);
  worker::Worker worker(std::move(source), broker, std::move(worker_options));

  std::uint16_t port = server.start();
  std::jthread worker_thread([&worker](std::stop_token st) { worker.run(st); });
  std::jthread feed_thread(
      [store, rate = o.rate](std::stop_token st) { run_order_feed(store, rate, st); });
  print_welcome(o.secret, port);
  wait_for_termination(
      [&] {
        feed_thread.request_stop();
        worker_thread.request_stop();
        server.shutdown();
      },
      reload_on_hangup(o.gateway.tls));
  feed_thread.join();
  worker_thread.join();
  server.wait();
  return 0;
}

}  // namespace

RoleMain add_demo_role(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "demo", "Every role in one process: API, worker, gateway and dashboard, plus an order feed");
  auto o = std::make_shared<DemoOptions>();
  add_demo_options(*cmd, *o);
  return [cmd, o]() -> int {
    if (!cmd->parsed()) return -1;
    return run_demo(*o);
  };
}

}  // namespace pulseboard::app
