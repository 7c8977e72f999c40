#include <spdlog/spdlog.h>

#include "api/orders_api.hpp"
#include "app/auth_options.hpp"
#include "app/env.hpp"
#include "app/role_options.hpp"
#include "app/roles.hpp"
#include "app/server_tls_options.hpp"
#include "common/log.hpp"
#include "http/server.hpp"
#include "store/order_store.hpp"

namespace pulseboard::app {
namespace {
constexpr std::string_view kDefaultDatabase = "sqlite:pulseboard.db";
// --port, --bind, the per-address cap and TLS.
void add_listen_options(CLI::App& cmd, http::ServerConfig& server, ServerTlsOptions& tls) {
  cmd.add_option("--port", server.port, "TCP port (API_PORT)")
      ->envname("API_PORT")
      ->capture_default_str();
  cmd.add_option("--bind", server.bind_address, "address to listen on")->capture_default_str();
  cmd.add_option("--max-connections-per-address", server.max_connections_per_address,
                 "HTTP connections one TCP peer address may hold; more are closed as they are "
                 "accepted (MAX_CONNECTIONS_PER_ADDRESS; 0 = no cap)")
      ->envname("MAX_CONNECTIONS_PER_ADDRESS")
      ->capture_default_str();
  add_server_tls_options(cmd, tls);
}
}  // namespace

RoleMain add_api_role(CLI::App& app) {
  struct Options {
    http::ServerConfig server;
    AuthOptions auth;
    std::string database_url{kDefaultDatabase};
    api::OrdersApi::Options api;
    ServerTlsOptions tls;
    std::string log_level = "info";
  };
  auto* cmd = app.add_subcommand("api", "HTTP JSON API for orders (writes to the database)");
  auto o = std::make_shared<Options>();
  // The API's callers are services and load balancers, which send many requests at once from
  // one address: a wider cap than the gateway's browsers get, still below the open-file limit.
  o->server.max_connections_per_address = 1024;
  o->server.port = 4100;
  o->server.threads = 1;
  o->server.name = "orders API";
  add_listen_options(*cmd, o->server, o->tls);
  cmd->add_option("--database", o->database_url,
                  "sqlite:path | postgresql://... | mongodb://... (DATABASE_URL)")
      ->envname("DATABASE_URL")
      ->capture_default_str();
  cmd->add_option("--db-threads", o->api.threads, "threads running database calls")
      ->capture_default_str();
  cmd->add_option("--max-body", o->api.max_body_bytes,
                  "largest request body in bytes (at most the HTTP server's 1 MiB)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{http::kMaxRequestBody}))
      ->capture_default_str();
  cmd->add_flag("--public-reads", o->api.public_reads, "allow GET without a token");
  cmd->add_option("--jwt-secret", o->auth.secret, "HS256 secret (JWT_SECRET)");
  cmd->add_option("--jwt-public-key-file", o->auth.public_key_file,
                  "RS256 public key PEM (JWT_PUBLIC_KEY_FILE)");
  add_log_level_option(*cmd, o->log_level);
  return [cmd, o]() -> int {
    if (!cmd->parsed()) return -1;
    configure_logging(o->log_level);
    fill_from_env(o->auth);
    apply_mongo_uri(o->database_url, kDefaultDatabase);
    o->server.tls = load_server_tls(o->tls);
    auto verifier = make_verifier(o->auth);
    auto orders = std::make_shared<api::OrdersApi>(
        std::shared_ptr<store::OrderStore>(store::open_store(o->database_url)), verifier, o->api);
    http::Server server(o->server);
    server.add_route(std::string(api::kOrdersPath), orders->handler());
    server.start();
    spdlog::info("orders API on port {} writing to {}", o->server.port,
                 redact_url(o->database_url));
    wait_for_termination([&] { server.shutdown(); }, reload_on_hangup(o->server.tls));
    server.wait();
    return 0;
  };
}

}  // namespace pulseboard::app
