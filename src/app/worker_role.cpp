#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/env.hpp"
#include "app/redis_tls_options.hpp"
#include "app/role_options.hpp"
#include "app/roles.hpp"
#include "app/server_tls_options.hpp"
#include "app/stream_sources.hpp"
#include "app/streams_options.hpp"
#include "app/worker_http.hpp"
#include "broker/broker_redis.hpp"
#include "changes/change_source.hpp"
#include "changes/sqlite_outbox_triggers.hpp"
#include "common/log.hpp"
#include "pipeline/pipeline.hpp"
#include "redis/connection.hpp"
#include "redis/endpoint.hpp"
#include "store/order_store.hpp"
#include "worker/leader_lease.hpp"
#include "worker/worker.hpp"

namespace pulseboard::app {
namespace {
constexpr std::string_view kDefaultDatabase = "sqlite:pulseboard.db";

struct WorkerOptions {
  std::string database_url{kDefaultDatabase};
  std::string redis_url = "redis://localhost:6379";
  std::string redis_mode = "pubsub";
  redis::TlsFiles redis_tls;
  std::string pipeline_file;
  std::string config_path;  // --config: the streams; empty: the single-stream options
  std::vector<std::string> sqlite_tables;  // --config's tables besides orders (outbox triggers)
  std::string state_dir = ".";
  bool push_down = true;
  bool rebuild = true;
  long lease_ms = 10000;
  long lease_check_ms = 250;
  bool no_leader_election = false;
  std::uint16_t http_port = 0;  // 0: no operator port
  std::string http_bind = "0.0.0.0";
  ServerTlsOptions http_tls;  // HTTPS on --http-port
  std::shared_ptr<net::ServerTls> http_tls_loaded;
  long canary_interval_ms = 5000;
  long canary_stale_after_ms = 15000;
  long cdc_health_interval_ms = 10000;
  std::int64_t max_retained_wal_bytes = 0;
  long min_oplog_headroom_s = 3600;
  worker::Worker::Options worker;
  std::string log_level = "info";
};

// Where the changes come from, what is made of them and where they go (in --help order).
void add_data_path_options(CLI::App& cmd, WorkerOptions& o) {
  cmd.add_option("--database", o.database_url,
                 "sqlite:path | postgresql://... | mongodb://... (DATABASE_URL, or MONGO_URI)")
      ->envname("DATABASE_URL")
      ->capture_default_str();
  cmd.add_option("--redis-url", o.redis_url, "broker (REDIS_URL)")
      ->envname("REDIS_URL")
      ->capture_default_str();
  add_redis_tls_options(cmd, o.redis_tls);
  cmd.add_option("--redis-mode", o.redis_mode, "pubsub | sharded (Redis Cluster) (REDIS_MODE)")
      ->check(CLI::IsMember({"pubsub", "sharded"}))
      ->envname("REDIS_MODE")
      ->capture_default_str();
  cmd.add_option("--bridge-channel", o.worker.bridge_channel, "channel (BRIDGE_CHANNEL)")
      ->envname("BRIDGE_CHANNEL")
      ->capture_default_str();
  cmd.add_option("--room", o.worker.room, "room the events go to")->capture_default_str();
  cmd.add_option("--event", o.worker.event, "event name")->capture_default_str();
  cmd.add_option("--pipeline-file", o.pipeline_file,
                 "JSON pipeline ($match/$project); default: the article's (PIPELINE_FILE)")
      ->envname("PIPELINE_FILE");
  add_streams_config_option(cmd, o.config_path);
  cmd.add_option("--state-dir", o.state_dir, "where resume tokens are kept (WORKER_STATE_DIR)")
      ->envname("WORKER_STATE_DIR")
      ->capture_default_str();
  cmd.add_option("--push-down", o.push_down, "push the filter down to the database")
      ->envname("WORKER_PUSH_DOWN")
      ->capture_default_str();
  cmd.add_option("--rebuild", o.rebuild,
                 "rebuild the aggregates from the orders when leading starts and after lost "
                 "history (WORKER_REBUILD)")
      ->envname("WORKER_REBUILD")
      ->capture_default_str();
  cmd.add_option("--batch", o.worker.batch, "events per batch (WORKER_BATCH)")
      ->envname("WORKER_BATCH")
      ->capture_default_str();
}

// The delivery canary (docs/operations.md).
void add_canary_options(CLI::App& cmd, WorkerOptions& o) {
  cmd.add_option("--canary-interval-ms", o.canary_interval_ms,
                 "write a delivery canary through the database this often; 0 = off "
                 "(WORKER_CANARY_INTERVAL_MS)")
      ->envname("WORKER_CANARY_INTERVAL_MS")
      ->check(CLI::Range(0L, 3'600'000L))
      ->capture_default_str();
  cmd.add_option("--delivery-stale-after-ms", o.canary_stale_after_ms,
                 "/health/delivery says stale when no canary came back for this long "
                 "(DELIVERY_STALE_AFTER_MS)")
      ->envname("DELIVERY_STALE_AFTER_MS")
      ->check(CLI::Range(1L, 86'400'000L))
      ->capture_default_str();
  cmd.add_option("--cdc-health-interval-ms", o.cdc_health_interval_ms,
                 "PostgreSQL: how often the slot's retained WAL and the publication are checked; "
                 "MongoDB: the oplog headroom "
                 "(WORKER_CDC_HEALTH_INTERVAL_MS)")
      ->envname("WORKER_CDC_HEALTH_INTERVAL_MS")
      ->check(CLI::Range(100L, 3'600'000L))
      ->capture_default_str();
  cmd.add_option("--max-retained-wal-bytes", o.max_retained_wal_bytes,
                 "PostgreSQL: log a warning (and say so on /health/delivery) while the slot "
                 "retains more WAL than this; 0 = no bound; the slot is never dropped "
                 "(WORKER_MAX_RETAINED_WAL_BYTES)")
      ->envname("WORKER_MAX_RETAINED_WAL_BYTES")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--min-oplog-headroom-s", o.min_oplog_headroom_s,
                 "MongoDB: /health/delivery says stale while the oplog holds less than this "
                 "many seconds behind the stored resume token; 0 = never "
                 "(WORKER_MIN_OPLOG_HEADROOM_S)")
      ->envname("WORKER_MIN_OPLOG_HEADROOM_S")
      ->check(CLI::Range(0L, 31'536'000L))
      ->capture_default_str();
}

// Who may publish, and the operator port.
void add_operation_options(CLI::App& cmd, WorkerOptions& o) {
  cmd.add_option("--lease-ms", o.lease_ms, "leader lease in ms (WORKER_LEASE_MS)")
      ->envname("WORKER_LEASE_MS")
      ->capture_default_str();
  cmd.add_option("--lease-check-ms", o.lease_check_ms,
                 "how often the leader renews and a standby checks whether the leader's Redis "
                 "connection is gone (at most lease/3) (WORKER_LEASE_CHECK_MS)")
      ->envname("WORKER_LEASE_CHECK_MS")
      ->check(CLI::Range(1L, 60000L))
      ->capture_default_str();
  cmd.add_flag("--no-leader-election", o.no_leader_election,
               "publish without electing a leader (only one worker may run)");
  cmd.add_option("--http-port", o.http_port,
                 "serve /healthz, /readyz and /metrics on this port; 0 = off (WORKER_HTTP_PORT)")
      ->envname("WORKER_HTTP_PORT")
      ->capture_default_str();
  add_server_tls_options(cmd, o.http_tls);
  cmd.add_option("--http-bind", o.http_bind, "address the --http-port listens on")
      ->capture_default_str();
  add_canary_options(cmd, o);
}

// PIPELINE_FILE, parsed and checked, into both the worker's options and the source's.
void load_pipeline(WorkerOptions& o, changes::SourceOptions& source_options) {
  std::ifstream in(o.pipeline_file);
  if (!in) throw std::runtime_error("cannot read PIPELINE_FILE " + o.pipeline_file);
  std::stringstream ss;
  ss << in.rdbuf();
  o.worker.pipeline_json = ss.str();
  auto parsed = pipeline::Pipeline::parse(o.worker.pipeline_json);
  if (auto* err = std::get_if<pipeline::PipelineError>(&parsed))
    throw std::runtime_error("PIPELINE_FILE " + o.pipeline_file + ": " + err->message);
  source_options.pipeline = std::get<pipeline::Pipeline>(std::move(parsed));
}

// --config: every stream of the file (checked whole; a bad file throws with every error printed).
void load_stream_file(WorkerOptions& o, changes::SourceOptions& source_options) {
  if (!o.pipeline_file.empty())
    throw std::runtime_error(
        "--config and --pipeline-file exclude each other: a stream file "
        "declares each stream's pipeline");
  auto config = load_streams(o.config_path);
  apply_stream_file(*config, StreamSources{o.config_path, o.database_url, o.rebuild}, o.worker,
                    source_options, o.sqlite_tables);
}

// The change source, and the orders the aggregates are rebuilt from when --rebuild is on.
std::unique_ptr<changes::ChangeSource> open_source(WorkerOptions& o) {
  changes::SourceOptions source_options;
  source_options.push_down = o.push_down;
  if (!o.config_path.empty())
    load_stream_file(o, source_options);
  else if (!o.pipeline_file.empty())
    load_pipeline(o, source_options);
  source_options.state_dir = o.state_dir;
  source_options.health_interval = std::chrono::milliseconds(o.cdc_health_interval_ms);
  source_options.max_retained_wal_bytes = o.max_retained_wal_bytes;
  source_options.min_oplog_headroom = std::chrono::seconds(o.min_oplog_headroom_s);
  std::string error;
  auto source =
      changes::open_change_source(o.database_url, source_options, o.sqlite_tables, &error);
  if (!source) throw std::runtime_error("cannot open change source: " + error);
  if (o.rebuild) {
    // The orders themselves, through the store seam: where the aggregates are rebuilt from
    // (docs/snapshots.md). Without it a new leader starts from empty aggregates.
    try {
      o.worker.history = store::open_store(o.database_url);
    } catch (const std::exception& e) {
      spdlog::warn(
          "worker: cannot open the orders for rebuilding aggregates ({}); they start "
          "empty",
          e.what());
    }
  }
  return source;
}

// The leader lease on its own Redis connection; both null with --no-leader-election.
struct Election {
  std::shared_ptr<redis::Connection> connection;
  std::shared_ptr<worker::LeaderLease> lease;
};

Election start_election(boost::asio::io_context& io, const redis::Endpoint& endpoint,
                        WorkerOptions& o) {
  if (o.no_leader_election) return {};
  Election e;
  e.connection = redis::Connection::create(io.get_executor(), endpoint, "leader-lease");
  e.connection->start();
  worker::LeaderLease::Options lo;
  lo.lease = std::chrono::milliseconds(o.lease_ms);
  lo.check = std::chrono::milliseconds(o.lease_check_ms);
  e.lease = worker::LeaderLease::create(io.get_executor(), e.connection, lo);
  e.lease->start();
  o.worker.leadership = e.lease;
  spdlog::info("worker {}: electing a leader through {}", e.lease->id(), redact_url(o.redis_url));
  return e;
}

// Runs the worker (and its operator port) until SIGINT/SIGTERM.
void run_until_terminated(std::unique_ptr<changes::ChangeSource> source,
                          std::shared_ptr<broker::Broker> broker, const Election& election,
                          WorkerOptions& o) {
  worker::Worker w(std::move(source), std::move(broker), o.worker);
  std::unique_ptr<http::Server> http;
  if (o.http_port != 0) {
    http = start_worker_http(
        o.http_bind, o.http_port, o.http_tls_loaded, [&w, lease = election.lease] {
          return WorkerStatus{w.stats(), !lease || lease->is_leader(), &w.publish_latency()};
        });
    spdlog::info("worker: health and metrics on port {}", o.http_port);
  }
  std::jthread runner([&w](std::stop_token st) { w.run(st); });
  wait_for_termination(
      [&] {
        runner.request_stop();
        if (http) http->shutdown();
      },
      reload_on_hangup(o.http_tls_loaded));
  // The handlers read `w`: the server stops before the worker goes away.
  if (http) http->wait();
}

int run_worker(WorkerOptions& o) {
  configure_logging(o.log_level);
  o.worker.canary_interval = std::chrono::milliseconds(o.canary_interval_ms);
  o.worker.canary_stale_after = std::chrono::milliseconds(o.canary_stale_after_ms);
  apply_mongo_uri(o.database_url, kDefaultDatabase);
  o.http_tls_loaded = load_server_tls(o.http_tls);
  auto source = open_source(o);
  auto endpoint = redis_endpoint(o.redis_url, o.redis_tls);
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  auto broker =
      broker::RedisBroker::create(io.get_executor(), endpoint,
                                  o.redis_mode == "sharded" ? broker::RedisBroker::Mode::sharded
                                                            : broker::RedisBroker::Mode::pubsub);
  Election election = start_election(io, endpoint, o);
  std::thread io_thread([&io] { io.run(); });
  spdlog::info("worker following {} and publishing on {}", redact_url(o.database_url),
               o.worker.bridge_channel);
  run_until_terminated(std::move(source), broker, election, o);
  if (election.lease) election.lease->stop();
  // Let the lease release reach Redis, then close everything.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  broker->stop();
  if (election.connection) election.connection->stop();
  guard.reset();
  io.stop();
  io_thread.join();
  // The options outlive this function (the role's closure holds them): the lease they share
  // owns a Redis connection whose timers must go before `io` does.
  o.worker.leadership.reset();
  spdlog::info("worker stopped");
  return 0;
}
}  // namespace

RoleMain add_worker_role(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "worker", "Follows the database's change stream and publishes to the broker");
  auto o = std::make_shared<WorkerOptions>();
  add_data_path_options(*cmd, *o);
  add_operation_options(*cmd, *o);
  add_log_level_option(*cmd, o->log_level);
  return [cmd, o]() -> int {
    if (!cmd->parsed()) return -1;
    return run_worker(*o);
  };
}

}  // namespace pulseboard::app
