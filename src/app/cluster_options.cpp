#include "app/cluster_options.hpp"

#include <stdexcept>
#include <string>

#include "app/env.hpp"
#include "app/redis_tls_options.hpp"

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
  if (auto ca = env("REDIS_TLS_CA")) s.redis_tls.ca_file = *ca;
  if (auto cert = env("REDIS_TLS_CERT")) s.redis_tls.cert_file = *cert;
  if (auto key = env("REDIS_TLS_KEY")) s.redis_tls.key_file = *key;
  return s;
}

namespace {

// The checks reject a bad value as a usage error before the parsers (which throw) see it.
void add_adapter_options(CLI::App& cmd, ClusterSettings& s) {
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
}

void add_streams_options(CLI::App& cmd, ClusterSettings& s) {
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

}  // namespace

void add_cluster_options(CLI::App& cmd, ClusterSettings& settings) {
  add_adapter_options(cmd, settings);
  add_streams_options(cmd, settings);
  add_redis_tls_options(cmd, settings.redis_tls);
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

}  // namespace pulseboard::app
