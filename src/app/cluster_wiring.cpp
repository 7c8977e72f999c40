#include "app/cluster_wiring.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "app/env.hpp"
#include "redis/endpoint.hpp"

namespace pulseboard::app {
namespace {

broker::RedisBroker::Mode parse_mode(const std::string& text) {
  if (text == "pubsub") return broker::RedisBroker::Mode::pubsub;
  if (text == "sharded") return broker::RedisBroker::Mode::sharded;
  throw std::runtime_error("REDIS_MODE must be pubsub or sharded, not: " + text);
}

bool parse_switch(const std::string& text) {
  if (text == "on" || text == "true" || text == "1") return true;
  if (text == "off" || text == "false" || text == "0") return false;
  throw std::runtime_error("SOCKETIO_ADAPTER must be on or off, not: " + text);
}

// The broker and, riding on it, the adapter: one owner so that the broker pointer handed to the
// bridge keeps both alive.
struct RedisCluster {
  std::shared_ptr<broker::RedisBroker> broker;
  std::shared_ptr<broker::RedisBroker> adapter_broker;  // sharded mode only
  std::shared_ptr<gateway::ClusterAdapter> adapter;
};

}  // namespace

ClusterSettings cluster_settings_from_env() {
  ClusterSettings s;
  if (auto mode = env("REDIS_MODE")) s.mode = parse_mode(*mode);
  if (auto on = env("SOCKETIO_ADAPTER")) s.adapter = parse_switch(*on);
  if (auto key = env("SOCKETIO_ADAPTER_KEY")) s.adapter_key = *key;
  return s;
}

void add_cluster_options(CLI::App& cmd, ClusterSettings& s) {
  cmd.add_option_function<std::string>(
         "--redis-mode", [&s](const std::string& v) { s.mode = parse_mode(v); },
         "pubsub|sharded: how the bridge uses Redis (REDIS_MODE)")
      ->envname("REDIS_MODE")
      ->default_str("pubsub");
  cmd.add_option_function<std::string>(
         "--socketio-adapter", [&s](const std::string& v) { s.adapter = parse_switch(v); },
         "on|off: speak @socket.io/redis-adapter with Node servers and emitters (SOCKETIO_ADAPTER)")
      ->envname("SOCKETIO_ADAPTER")
      ->default_str("on");
  cmd.add_option("--socketio-adapter-key", s.adapter_key,
                 "channel prefix of the adapter (SOCKETIO_ADAPTER_KEY)")
      ->envname("SOCKETIO_ADAPTER_KEY")
      ->capture_default_str();
}

void attach_bridge(gateway::Server& server, std::shared_ptr<broker::Broker> broker,
                   const std::string& bridge_channel) {
  broker->subscribe(bridge_channel, [&server](std::string_view, std::string_view payload) {
    server.deliver_bridge_message(payload);
  });
  server.set_publisher([broker, bridge_channel](std::string json) {
    broker->publish(bridge_channel, std::move(json), [](std::error_code ec) {
      if (ec) spdlog::warn("publish to the bridge failed: {}", ec.message());
    });
  });
  server.set_readiness([broker] { return broker->ready(); });
}

std::shared_ptr<broker::Broker> make_redis_broker(gateway::Server& server,
                                                  const std::string& redis_url,
                                                  const ClusterSettings& settings) {
  auto endpoint = redis::parse_url(redis_url);
  if (!endpoint)
    throw std::runtime_error("REDIS_URL is not a redis://[[user]:password@]host[:port][/db] URL");
  auto ex = server.context().loops.front()->ioc.get_executor();
  auto cluster = std::make_shared<RedisCluster>();
  cluster->broker = broker::RedisBroker::create(ex, *endpoint, settings.mode);
  if (settings.adapter) {
    std::shared_ptr<broker::Broker> adapter_broker = cluster->broker;
    if (settings.mode == broker::RedisBroker::Mode::sharded) {
      cluster->adapter_broker =
          broker::RedisBroker::create(ex, *endpoint, broker::RedisBroker::Mode::pubsub);
      adapter_broker = cluster->adapter_broker;
    }
    cluster->adapter =
        gateway::ClusterAdapter::start(server, adapter_broker, {.key = settings.adapter_key});
  }
  return std::shared_ptr<broker::Broker>(cluster, cluster->broker.get());
}

std::shared_ptr<broker::Broker> make_redis_broker(gateway::Server& server,
                                                  const std::string& redis_url) {
  return make_redis_broker(server, redis_url, cluster_settings_from_env());
}

}  // namespace pulseboard::app
