#include "app/cluster_wiring.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "app/env.hpp"
#include "gateway/context.hpp"
#include "gateway/engine_session.hpp"
#include "gateway/recovery_store_redis.hpp"
#include "gateway/recovery_store_streams.hpp"
#include "gateway/retained_restore.hpp"
#include "redis/cluster_router.hpp"
#include "redis/endpoint.hpp"

namespace pulseboard::app {
namespace {

broker::RedisBroker::Mode parse_mode(const std::string& text) {
  if (text == "pubsub") return broker::RedisBroker::Mode::pubsub;
  if (text == "sharded") return broker::RedisBroker::Mode::sharded;
  throw std::runtime_error("REDIS_MODE must be pubsub or sharded, not: " + text);
}

AdapterKind parse_adapter(const std::string& text) {
  if (text == "on" || text == "true" || text == "1" || text == "classic")
    return AdapterKind::classic;
  if (text == "off" || text == "false" || text == "0") return AdapterKind::off;
  if (text == "sharded") return AdapterKind::sharded;
  if (text == "streams") return AdapterKind::streams;
  throw std::runtime_error("SOCKETIO_ADAPTER must be on, off, sharded or streams, not: " + text);
}

cluster::sharded::SubscriptionMode parse_subscription_mode(const std::string& text) {
  if (auto mode = cluster::sharded::parse_subscription_mode(text)) return *mode;
  throw std::runtime_error(
      "SOCKETIO_ADAPTER_SUBSCRIPTION_MODE must be dynamic, dynamic-private or static, not: " +
      text);
}

// The broker and, riding on it, the adapter: one owner so that the broker pointer handed to the
// bridge keeps both alive.
struct RedisCluster {
  std::shared_ptr<broker::RedisBroker> broker;
  std::shared_ptr<broker::RedisBroker> adapter_broker;  // classic adapter in sharded mode only
  std::shared_ptr<gateway::ClusterAdapter> adapter;
  std::shared_ptr<gateway::ShardedClusterAdapter> sharded_adapter;
  std::shared_ptr<gateway::StreamsClusterAdapter> streams_adapter;
};

// A whole decimal number within [min, max] for the setting `name`; throws otherwise.
std::uint64_t parse_count(const std::string& text, const char* name, std::uint64_t min,
                          std::uint64_t max) {
  std::size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || text.front() == '-' || n < min || n > max)
    throw std::runtime_error(std::string(name) + " must be a number from " + std::to_string(min) +
                             " to " + std::to_string(max) + ", not: " + text);
  return n;
}

std::uint32_t parse_stream_count(const std::string& text) {
  return static_cast<std::uint32_t>(parse_count(text, "SOCKETIO_ADAPTER_STREAM_COUNT", 1, 1024));
}

std::size_t parse_max_len(const std::string& text) {
  return parse_count(text, "SOCKETIO_ADAPTER_STREAM_MAXLEN", 1, 1'000'000'000);
}

// From 1 KiB (a worker's metrics-update fits) to 64 MiB.
constexpr std::uint64_t kMinBridgeMessage = 1024;
constexpr std::uint64_t kMaxBridgeMessage = 64 * 1024 * 1024;
std::size_t parse_max_bridge_message(const std::string& text) {
  return parse_count(text, "MAX_BRIDGE_MESSAGE", kMinBridgeMessage, kMaxBridgeMessage);
}

}  // namespace

ClusterSettings cluster_settings_from_env() {
  ClusterSettings s;
  if (auto mode = env("REDIS_MODE")) s.mode = parse_mode(*mode);
  if (auto kind = env("SOCKETIO_ADAPTER")) s.adapter = parse_adapter(*kind);
  if (auto key = env("SOCKETIO_ADAPTER_KEY")) s.adapter_key = *key;
  if (auto mode = env("SOCKETIO_ADAPTER_SUBSCRIPTION_MODE"))
    s.subscription_mode = parse_subscription_mode(*mode);
  if (auto stream = env("SOCKETIO_ADAPTER_STREAM")) s.stream = *stream;
  if (auto count = env("SOCKETIO_ADAPTER_STREAM_COUNT"))
    s.stream_count = parse_stream_count(*count);
  if (auto max_len = env("SOCKETIO_ADAPTER_STREAM_MAXLEN"))
    s.stream_max_len = parse_max_len(*max_len);
  if (auto prefix = env("SOCKETIO_ADAPTER_SESSION_PREFIX")) s.session_prefix = *prefix;
  if (auto max = env("MAX_BRIDGE_MESSAGE")) s.max_bridge_message = parse_max_bridge_message(*max);
  return s;
}

// The checks reject a bad value as a usage error before the parsers (which throw) see it.
void add_cluster_options(CLI::App& cmd, ClusterSettings& s) {
  cmd.add_option_function<std::string>(
         "--redis-mode", [&s](const std::string& v) { s.mode = parse_mode(v); },
         "pubsub|sharded: how the bridge uses Redis (REDIS_MODE)")
      ->check(CLI::IsMember({"pubsub", "sharded"}))
      ->envname("REDIS_MODE")
      ->default_str("pubsub");
  cmd.add_option_function<std::string>(
         "--socketio-adapter", [&s](const std::string& v) { s.adapter = parse_adapter(v); },
         "on|off|sharded|streams: speak @socket.io/redis-adapter (classic, or "
         "createShardedAdapter's format with --redis-mode sharded) or "
         "@socket.io/redis-streams-adapter with Node servers (SOCKETIO_ADAPTER)")
      ->check(
          CLI::IsMember({"on", "off", "sharded", "streams", "classic", "true", "false", "1", "0"}))
      ->envname("SOCKETIO_ADAPTER")
      ->default_str("on");
  cmd.add_option("--socketio-adapter-key", s.adapter_key,
                 "channel prefix of the adapter (SOCKETIO_ADAPTER_KEY)")
      ->envname("SOCKETIO_ADAPTER_KEY")
      ->capture_default_str();
  cmd.add_option_function<std::string>(
         "--socketio-adapter-subscription-mode",
         [&s](const std::string& v) { s.subscription_mode = parse_subscription_mode(v); },
         "dynamic|dynamic-private|static: which rooms the sharded adapter gives their own channel "
         "(SOCKETIO_ADAPTER_SUBSCRIPTION_MODE)")
      ->check(CLI::IsMember({"dynamic", "dynamic-private", "static"}))
      ->envname("SOCKETIO_ADAPTER_SUBSCRIPTION_MODE")
      ->default_str("dynamic");
  cmd.add_option("--socketio-adapter-stream", s.stream,
                 "streams adapter: the stream's name, its streamName (SOCKETIO_ADAPTER_STREAM)")
      ->envname("SOCKETIO_ADAPTER_STREAM")
      ->capture_default_str();
  cmd.add_option_function<std::string>(
         "--socketio-adapter-stream-count",
         [&s](const std::string& v) { s.stream_count = parse_stream_count(v); },
         "streams adapter: streams the namespaces are hashed onto, its streamCount "
         "(SOCKETIO_ADAPTER_STREAM_COUNT)")
      ->check(CLI::Range(1, 1024))
      ->envname("SOCKETIO_ADAPTER_STREAM_COUNT")
      ->default_str("1");
  cmd.add_option_function<std::string>(
         "--socketio-adapter-stream-maxlen",
         [&s](const std::string& v) { s.stream_max_len = parse_max_len(v); },
         "streams adapter: entries a stream keeps (about), its maxLen "
         "(SOCKETIO_ADAPTER_STREAM_MAXLEN)")
      ->check(CLI::PositiveNumber)
      ->envname("SOCKETIO_ADAPTER_STREAM_MAXLEN")
      ->default_str("10000");
  cmd.add_option("--socketio-adapter-session-prefix", s.session_prefix,
                 "streams adapter: key prefix of recoverable sessions, its sessionKeyPrefix "
                 "(SOCKETIO_ADAPTER_SESSION_PREFIX)")
      ->envname("SOCKETIO_ADAPTER_SESSION_PREFIX")
      ->capture_default_str();
  cmd.add_option_function<std::string>(
         "--max-bridge-message",
         [&s](const std::string& v) { s.max_bridge_message = parse_max_bridge_message(v); },
         "largest bridge message read from Redis, in bytes; larger ones are dropped unread "
         "(MAX_BRIDGE_MESSAGE)")
      ->check(CLI::Range(kMinBridgeMessage, kMaxBridgeMessage))
      ->envname("MAX_BRIDGE_MESSAGE")
      ->default_str(std::to_string(bridge::kDefaultMaxMessage));
}

std::optional<std::string> cluster_settings_error(const ClusterSettings& s) {
  if (s.adapter == AdapterKind::sharded && s.mode != broker::RedisBroker::Mode::sharded)
    return "SOCKETIO_ADAPTER=sharded needs REDIS_MODE=sharded (a Redis Cluster with Redis >= 7): "
           "the sharded adapter speaks SSUBSCRIBE/SPUBLISH. Use SOCKETIO_ADAPTER=on for the "
           "classic adapter.";
  if (s.adapter == AdapterKind::streams && s.mode != broker::RedisBroker::Mode::pubsub)
    return "SOCKETIO_ADAPTER=streams needs REDIS_MODE=pubsub (one Redis): its stream, eventIds "
           "and sessions are plain keys, not laid out for a Redis Cluster.";
  return std::nullopt;
}

namespace {
// The retained field of a bridge message published with `retain: true`; nullopt otherwise.
// The publish endpoint validated the message within bridge::limits before it got here.
std::optional<std::string> retained_field_of(std::string_view bridge_json) {
  std::optional<bridge::Message> m = bridge::parse(bridge_json);
  if (!m || !m->retain) return std::nullopt;
  return bridge::retained_field(*m);
}

// Counts and logs (rate-limited, escaped) a bridge message refused for `crossed` (a bound) or,
// with Bound::none, as malformed.
void refuse_bridge_message(gateway::GatewayContext& ctx, std::string_view what,
                           std::string_view payload, cluster::Bound crossed) {
  if (crossed == cluster::Bound::none) {
    ctx.metrics.bridge_messages_invalid.fetch_add(1, std::memory_order_relaxed);
    ctx.log_refusal(spdlog::level::warn, "bridge: {} refused (need {{room, event, data}}): {}",
                    what, bridge::log_excerpt(payload));
    return;
  }
  auto bound = gateway::BridgeBound::memory;
  if (crossed == cluster::Bound::message_bytes) bound = gateway::BridgeBound::message_size;
  if (crossed == cluster::Bound::depth) bound = gateway::BridgeBound::depth;
  if (crossed == cluster::Bound::values) bound = gateway::BridgeBound::values;
  ctx.metrics.bridge_over_limit[static_cast<std::size_t>(bound)].fetch_add(
      1, std::memory_order_relaxed);
  ctx.log_refusal(spdlog::level::warn, "bridge: dropped a {} of {} bytes past its bound on {}",
                  what, payload.size(), cluster::to_string(crossed));
}

// A live message: parsed once within the bounds, then delivered as parsed.
void receive_bridge_message(gateway::Gateway& server, std::string_view payload,
                            const cluster::Limits& limits) {
  cluster::Bound crossed = cluster::Bound::none;
  bool valid = false;
  // A std::bad_alloc within the bounds (a tight cgroup) loses this message, not the process.
  auto memory = cluster::refuse_on_bad_alloc([&] {
    auto m = bridge::parse(payload, limits, &crossed);
    valid = m.has_value();
    if (valid) server.deliver_bridge_message(std::move(*m));
  });
  if (memory != cluster::Bound::none) crossed = memory;
  if (!valid || crossed != cluster::Bound::none)
    refuse_bridge_message(server.context(), "message", payload, crossed);
}

// Stored retained messages within the bounds, each with `retain: true`; the rest are counted and
// logged as live ones are, and left out.
std::vector<std::string> retained_within(gateway::Gateway& server,
                                         std::vector<std::string> payloads,
                                         const cluster::Limits& limits) {
  std::erase_if(payloads, [&](const std::string& payload) {
    cluster::Bound crossed = cluster::Bound::none;
    bool retained = false;
    auto memory = cluster::refuse_on_bad_alloc([&] {
      auto m = bridge::parse(payload, limits, &crossed);
      retained = m && m->retain;
    });
    if (memory != cluster::Bound::none) crossed = memory;
    if (retained && crossed == cluster::Bound::none) return false;
    refuse_bridge_message(server.context(), "stored retained message", payload, crossed);
    return true;
  });
  return payloads;
}
}  // namespace

void attach_bridge(gateway::Gateway& server, std::shared_ptr<broker::Broker> broker,
                   const std::string& bridge_channel, std::size_t max_message_bytes) {
  const cluster::Limits limits = bridge::limits(max_message_bytes);
  // After every (re)subscription the broker reads back the retained messages it stores: what
  // was published while this gateway was not subscribed (started later, restarted, Redis
  // outage) is not lost for the dashboards that join next (docs/snapshots.md).
  broker->subscribe_retained(
      bridge_channel,
      [&server, limits](std::string_view, std::string_view payload) {
        receive_bridge_message(server, payload, limits);
      },
      [&server, limits]() -> broker::RetainedDone {
        const std::uint64_t mark = server.context().retained.begin_restore();
        return [&server, mark, limits](std::vector<std::string> payloads) {
          gateway::restore_retained(server, mark,
                                    retained_within(server, std::move(payloads), limits));
        };
      });
  server.set_publisher([broker, bridge_channel](std::string json) {
    auto done = [](std::error_code ec) {
      if (ec) spdlog::warn("publish to the bridge failed: {}", ec.message());
    };
    if (auto field = retained_field_of(json))
      broker->publish_retained(bridge_channel, std::move(*field), std::move(json), done);
    else
      broker->publish(bridge_channel, std::move(json), done);
  });
  server.add_readiness([broker] { return broker->ready(); });
}

namespace {
// How long Redis keeps what recovery needs beyond one socket's session (the history, the eventIds
// the streams adapter appended): a minute past the window covers every client's way back and a
// worker's replay of what it published since its last confirmed position.
std::chrono::milliseconds kept_past_window(const gateway::GatewayConfig& config) {
  return config.recovery_window + std::chrono::minutes(1);
}
}  // namespace

void share_recovery(gateway::Gateway& server, const std::string& redis_url,
                    const ClusterSettings& settings) {
  auto& ctx = server.context();
  if (!ctx.recovery) return;
  auto endpoint = redis::parse_url(redis_url);
  if (!endpoint) return;  // make_redis_broker refused it already
  auto ex = ctx.loops.front()->ioc.get_executor();
  // After a reconnect Redis may have restarted empty: every connected socket is saved again at
  // once, so a gateway that dies right after still leaves its clients recoverable. (The first
  // connect finds no sessions.)
  auto save_all = [&ctx] {
    for (auto& session : ctx.sessions.all())
      boost::asio::post(session->loop().ioc, [session] { session->save_for_recovery(); });
  };
  const auto window = ctx.config.recovery_window.count();
  if (settings.mode == broker::RedisBroker::Mode::sharded) {
    // A Redis Cluster: each namespace's keys share a hash tag, so they live on one master,
    // which the router finds (and finds again when the slot moves).
    auto router = redis::ClusterRouter::create(ex, *endpoint, "recovery");
    router->on_connect(save_all);
    router->start();
    ctx.recovery = std::make_shared<gateway::RedisRecoveryStore>(
        [router](const std::string& key, std::vector<std::string> args,
                 redis::Connection::Callback cb) {
          router->command(key, std::move(args), std::move(cb));
        },
        ctx.config.recovery_history, kept_past_window(ctx.config));
    spdlog::info("connection state recovery: {} ms window, shared through the Redis Cluster",
                 window);
    return;
  }
  auto connection = redis::Connection::create(ex, *endpoint, "recovery");
  connection->on_connect(save_all);
  connection->start();
  if (settings.adapter == AdapterKind::streams) {
    ctx.recovery = std::make_shared<gateway::StreamsRecoveryStore>(
        std::move(connection), gateway::StreamsRecoveryStore::Options{
                                   .stream = settings.stream,
                                   .stream_count = settings.stream_count,
                                   .session_prefix = settings.session_prefix,
                                   .max_scan = ctx.config.recovery_history,
                               });
    spdlog::info(
        "connection state recovery: {} ms window, shared through Redis as the streams adapter "
        "keeps it ({}<pid>, stream {})",
        window, settings.session_prefix, settings.stream);
    return;
  }
  ctx.recovery = std::make_shared<gateway::RedisRecoveryStore>(
      gateway::RedisRecoveryStore::on(std::move(connection)), ctx.config.recovery_history,
      kept_past_window(ctx.config));
  spdlog::info("connection state recovery: {} ms window, shared through Redis", window);
}

std::shared_ptr<broker::Broker> make_redis_broker(gateway::Gateway& server,
                                                  const std::string& redis_url,
                                                  const ClusterSettings& settings) {
  auto endpoint = redis::parse_url(redis_url);
  if (!endpoint)
    throw std::runtime_error("REDIS_URL is not a redis://[[user]:password@]host[:port][/db] URL");
  if (auto error = cluster_settings_error(settings)) throw std::runtime_error(*error);
  auto ex = server.context().loops.front()->ioc.get_executor();
  auto cluster = std::make_shared<RedisCluster>();
  cluster->broker = broker::RedisBroker::create(ex, *endpoint, settings.mode);
  if (settings.adapter == AdapterKind::streams) {
    cluster->streams_adapter = gateway::StreamsClusterAdapter::start(
        server, cluster->broker, *endpoint,
        {.key = settings.adapter_key,
         .stream = settings.stream,
         .stream_count = settings.stream_count,
         .max_len = settings.stream_max_len,
         .replay_window = kept_past_window(server.context().config)});
  } else if (settings.adapter == AdapterKind::sharded) {
    cluster->sharded_adapter = gateway::ShardedClusterAdapter::start(
        server, cluster->broker, {.key = settings.adapter_key, .mode = settings.subscription_mode});
  } else if (settings.adapter == AdapterKind::classic) {
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

}  // namespace pulseboard::app
