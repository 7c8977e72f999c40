#include "app/cluster_setup.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <stdexcept>

#include "app/redis_tls_options.hpp"
#include "cluster/adapter_classic.hpp"
#include "cluster/adapter_sharded.hpp"
#include "cluster/adapter_streams.hpp"
#include "gateway/gateway.hpp"
#include "gateway/session_stack.hpp"
#include "recovery/recovery_store_redis.hpp"
#include "recovery/recovery_store_streams.hpp"
#include "redis/endpoint.hpp"

namespace pulseboard::app {
namespace {

using broker::RedisBroker;

// How long Redis keeps what recovery needs beyond one socket's session (the history, the eventIds
// the streams adapter appended): a minute past the window covers every client's way back and a
// worker's replay of what it published since its last confirmed position.
std::chrono::milliseconds kept_past_window(const gateway::GatewayConfig& config) {
  return config.recovery_window + std::chrono::minutes(1);
}

void start_adapter(gateway::Gateway& server, RedisCluster& c, const redis::Endpoint& endpoint,
                   const ClusterSettings& settings) {
  if (settings.adapter == AdapterKind::streams) {
    auto streams =
        cluster::StreamsAdapter::start(*c.local, c.broker, endpoint,
                                       {.key = settings.adapter_key,
                                        .stream = settings.stream,
                                        .stream_count = settings.stream_count,
                                        .max_len = settings.stream_max_len,
                                        .replay_window = kept_past_window(server.config())});
    server.set_bridge_stream(streams);
    server.add_readiness([weak = std::weak_ptr<cluster::StreamsAdapter>(streams)] {
      auto self = weak.lock();
      return self && self->ready();
    });
    c.adapter = std::move(streams);
  } else if (settings.adapter == AdapterKind::sharded) {
    c.adapter = cluster::ShardedAdapter::start(
        *c.local, c.broker, {.key = settings.adapter_key, .mode = settings.subscription_mode});
  } else if (settings.adapter == AdapterKind::classic) {
    std::shared_ptr<broker::Broker> adapter_broker = c.broker;
    if (settings.mode == RedisBroker::Mode::sharded) {
      c.adapter_broker =
          RedisBroker::create(c.local->executor(), endpoint, RedisBroker::Mode::pubsub);
      adapter_broker = c.adapter_broker;
    }
    c.adapter =
        cluster::ClassicAdapter::start(*c.local, adapter_broker, {.key = settings.adapter_key});
  }
}

// After a reconnect Redis may have restarted empty: every connected socket is saved again at
// once, so a gateway that dies right after still leaves its clients recoverable. (The first
// connect finds no sessions.)
std::function<void()> save_all_sessions(gateway::Gateway& server) {
  return [&server] {
    for (auto& session : server.sessions().all())
      boost::asio::post(session->ioc(), [session] { gateway::save_for_recovery(*session); });
  };
}

// A Redis Cluster: each namespace's keys share a hash tag, so they live on one master, which
// the router the broker uses too finds (and finds again when the slot moves).
std::shared_ptr<recovery::RecoveryStore> recovery_on_cluster(gateway::Gateway& server,
                                                             RedisCluster& c) {
  c.router->on_connect(save_all_sessions(server));
  c.router->start();
  const auto& config = server.config();
  return std::make_shared<recovery::RedisRecoveryStore>(
      [router = c.router](const std::string& key, std::vector<std::string> args,
                          redis::Connection::Callback cb) {
        router->command(key, std::move(args), std::move(cb));
      },
      config.recovery_history, kept_past_window(config));
}

std::shared_ptr<recovery::RecoveryStore> recovery_on_redis(gateway::Gateway& server,
                                                           const redis::Endpoint& endpoint,
                                                           const ClusterSettings& settings) {
  const auto& config = server.config();
  auto connection =
      redis::Connection::create(server.loops().front()->ioc.get_executor(), endpoint, "recovery");
  connection->on_connect(save_all_sessions(server));
  connection->start();
  if (settings.adapter == AdapterKind::streams)
    return std::make_shared<recovery::StreamsRecoveryStore>(
        std::move(connection), recovery::StreamsRecoveryStore::Options{
                                   .stream = settings.stream,
                                   .stream_count = settings.stream_count,
                                   .session_prefix = settings.session_prefix,
                                   .max_scan = config.recovery_history,
                               });
  return std::make_shared<recovery::RedisRecoveryStore>(
      recovery::RedisRecoveryStore::on(std::move(connection)), config.recovery_history,
      kept_past_window(config));
}

// Replaces the gateway's in-process store; nothing when recovery is off.
void share_recovery(gateway::Gateway& server, RedisCluster& c, const redis::Endpoint& endpoint,
                    const ClusterSettings& settings) {
  if (!server.recovery()) return;
  const auto window = server.config().recovery_window.count();
  if (c.router) {
    server.set_recovery(recovery_on_cluster(server, c));
    spdlog::info("connection state recovery: {} ms window, shared through the Redis Cluster",
                 window);
    return;
  }
  server.set_recovery(recovery_on_redis(server, endpoint, settings));
  if (settings.adapter == AdapterKind::streams)
    spdlog::info(
        "connection state recovery: {} ms window, shared through Redis as the streams adapter "
        "keeps it ({}<pid>, stream {})",
        window, settings.session_prefix, settings.stream);
  else
    spdlog::info("connection state recovery: {} ms window, shared through Redis", window);
}

}  // namespace

std::shared_ptr<RedisCluster> connect_cluster(gateway::Gateway& server,
                                              const std::string& redis_url,
                                              const ClusterSettings& settings) {
  auto endpoint = redis_endpoint(redis_url, settings.redis_tls);
  if (auto error = cluster_settings_error(settings)) throw std::runtime_error(*error);
  auto c = std::make_shared<RedisCluster>();
  c->local = std::make_unique<gateway::LoopSockets>(server);
  auto ex = c->local->executor();
  if (settings.mode == RedisBroker::Mode::sharded)
    c->router = redis::ClusterRouter::create(ex, endpoint, "cluster");
  c->broker = RedisBroker::create(ex, endpoint, settings.mode, c->router);
  start_adapter(server, *c, endpoint, settings);
  share_recovery(server, *c, endpoint, settings);
  return c;
}

}  // namespace pulseboard::app
