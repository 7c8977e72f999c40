#pragma once
// The cluster settings of a gateway (docs/cluster.md): which Redis mode the bridge uses, which
// `@socket.io/redis-adapter` wire format the gateway speaks with Node.js Socket.IO servers and
// `@socket.io/redis-emitter`, and the bounds of what it reads from the bridge. cluster_setup.hpp
// turns them into the broker, the adapter and the recovery store.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "bridge/bridge_message.hpp"
#include "broker/broker_redis.hpp"
#include "cluster/sharded_codec.hpp"
#include "cluster/streams_codec.hpp"
#include "redis/endpoint.hpp"

namespace pulseboard::app {

// SOCKETIO_ADAPTER: which `@socket.io/redis-adapter` wire format the gateway speaks.
enum class AdapterKind {
  off,      // the bridge only
  classic,  // `on`: createAdapter (PUBLISH / PSUBSCRIBE), in either Redis mode
  sharded,  // createShardedAdapter (SPUBLISH / SSUBSCRIBE); needs REDIS_MODE=sharded
  streams,  // @socket.io/redis-streams-adapter (XADD / XREAD); needs REDIS_MODE=pubsub
};

struct ClusterSettings {
  // REDIS_MODE: `pubsub` (one Redis, or PUBLISH on a Redis Cluster) or `sharded` (SPUBLISH /
  // SSUBSCRIBE on a Redis Cluster, Redis >= 7) for the bridge.
  broker::RedisBroker::Mode mode = broker::RedisBroker::Mode::pubsub;
  AdapterKind adapter = AdapterKind::classic;  // SOCKETIO_ADAPTER: on|off|sharded|streams
  std::string adapter_key = "socket.io";       // SOCKETIO_ADAPTER_KEY: key / channelPrefix
  // SOCKETIO_ADAPTER_SUBSCRIPTION_MODE: the sharded adapter's `subscriptionMode`.
  cluster::sharded::SubscriptionMode subscription_mode =
      cluster::sharded::SubscriptionMode::dynamic;
  // The streams adapter's streamName, streamCount, maxLen and sessionKeyPrefix
  // (SOCKETIO_ADAPTER_STREAM, _STREAM_COUNT, _STREAM_MAXLEN, _SESSION_PREFIX).
  std::string stream = std::string(cluster::streams::kDefaultStream);
  std::uint32_t stream_count = 1;
  std::size_t stream_max_len = cluster::streams::kDefaultMaxLen;
  std::string session_prefix = std::string(cluster::streams::kDefaultSessionPrefix);
  // MAX_BRIDGE_MESSAGE: the largest bridge message a gateway reads from the broker, in bytes.
  std::size_t max_bridge_message = bridge::kDefaultMaxMessage;
  // REDIS_TLS_CA, REDIS_TLS_CERT, REDIS_TLS_KEY: the files a rediss:// REDIS_URL uses.
  redis::TlsFiles redis_tls;
};

// From REDIS_MODE, SOCKETIO_ADAPTER, SOCKETIO_ADAPTER_KEY, SOCKETIO_ADAPTER_SUBSCRIPTION_MODE
// the streams adapter's SOCKETIO_ADAPTER_STREAM* and SOCKETIO_ADAPTER_SESSION_PREFIX, and
// MAX_BRIDGE_MESSAGE; throws
// std::runtime_error on a value it does not know.
ClusterSettings cluster_settings_from_env();
// --redis-mode, --socketio-adapter, --socketio-adapter-key,
// --socketio-adapter-subscription-mode, --socketio-adapter-stream, --socketio-adapter-stream-count,
// --socketio-adapter-stream-maxlen, --socketio-adapter-session-prefix, --max-bridge-message,
// --redis-tls-ca, --redis-tls-cert, --redis-tls-key (with the same environment names).
void add_cluster_options(CLI::App& cmd, ClusterSettings& settings);
// A settings combination that cannot work (the sharded adapter without REDIS_MODE=sharded, the
// streams adapter with it),
// as a message naming the settings to change; nullopt when they are consistent.
std::optional<std::string> cluster_settings_error(const ClusterSettings& settings);

}  // namespace pulseboard::app
