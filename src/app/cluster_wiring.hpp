#pragma once
// Connects a gateway to the rest of the cluster (docs/cluster.md).
//
// The bridge: the gateway subscribes to the bridge channel (the article's `socket-io-bridge`) and
// delivers each message to its OWN sockets only — every gateway is subscribed, so
// re-broadcasting through the adapter would deliver N copies with N gateways, the article's bug.
// POST /api/v1/publish publishes on the bridge so it reaches every gateway; /readyz follows the
// broker's subscriptions.
//
// The adapter: the classic `@socket.io/redis-adapter` protocol, so Node.js Socket.IO servers and
// `@socket.io/redis-emitter` share the cluster (gateway/cluster_adapter.hpp); or, on a Redis
// Cluster in sharded mode, the sharded one (`createShardedAdapter`,
// gateway/sharded_cluster_adapter.hpp); or `@socket.io/redis-streams-adapter`
// (gateway/streams_cluster_adapter.hpp), through which the bridge then flows too.
#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "bridge/bridge_message.hpp"
#include "broker/broker.hpp"
#include "broker/broker_redis.hpp"
#include "cluster/sharded_codec.hpp"
#include "cluster/streams_codec.hpp"
#include "gateway/cluster_adapter.hpp"
#include "gateway/gateway.hpp"
#include "gateway/sharded_cluster_adapter.hpp"
#include "gateway/streams_cluster_adapter.hpp"

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
};

// From REDIS_MODE, SOCKETIO_ADAPTER, SOCKETIO_ADAPTER_KEY, SOCKETIO_ADAPTER_SUBSCRIPTION_MODE
// the streams adapter's SOCKETIO_ADAPTER_STREAM* and SOCKETIO_ADAPTER_SESSION_PREFIX, and
// MAX_BRIDGE_MESSAGE; throws
// std::runtime_error on a value it does not know.
ClusterSettings cluster_settings_from_env();
// --redis-mode, --socketio-adapter, --socketio-adapter-key,
// --socketio-adapter-subscription-mode, --socketio-adapter-stream, --socketio-adapter-stream-count,
// --socketio-adapter-stream-maxlen, --socketio-adapter-session-prefix, --max-bridge-message (with
// the same environment names).
void add_cluster_options(CLI::App& cmd, ClusterSettings& settings);
// A settings combination that cannot work (the sharded adapter without REDIS_MODE=sharded, the
// streams adapter with it),
// as a message naming the settings to change; nullopt when they are consistent.
std::optional<std::string> cluster_settings_error(const ClusterSettings& settings);

// Subscribes the gateway to the bridge (retained messages restored from the broker's store after
// every (re)subscription) and sends POST /api/v1/publish to it (stored too with `retain: true`).
// Anything that can publish on the broker writes the bridge, so each message it brings, live or
// stored, is refused whole past `max_message_bytes` (before it is parsed) or past
// gateway::bridge_limits' depth and value bounds; refusals are counted on /metrics
// (pulseboard_bridge_messages_over_limit_total by bound, _invalid_total when malformed) and
// logged through the gateway's refusal log limiter, the message's text escaped.
void attach_bridge(gateway::Gateway& server, std::shared_ptr<broker::Broker> broker,
                   const std::string& bridge_channel,
                   std::size_t max_message_bytes = bridge::kDefaultMaxMessage);

// Connection state recovery shared by every gateway on REDIS_URL (docs/recovery.md): replaces
// the gateway's in-process store with one in Redis, on its own connection; with REDIS_MODE
// sharded, on the Redis Cluster (each namespace's keys on the master of their hash tag's slot).
// With the streams adapter the store is the Node streams adapter's (recovery_store_streams.hpp), so
// clients recover across gateways and Node servers alike. Nothing when recovery is off.
void share_recovery(gateway::Gateway& server, const std::string& redis_url,
                    const ClusterSettings& settings);

// The Redis broker for REDIS_URL on the gateway's first loop, with the adapter that
// `settings.adapter` names; the adapter lives as long as the returned pointer. The sharded
// adapter rides on the sharded broker; the streams adapter on the classic one, with its own
// stream connections. The classic adapter in sharded mode gets its own classic
// pub/sub connection (PUBLISH and PSUBSCRIBE work cluster-wide on a Redis Cluster, which is how
// the classic Node adapter runs there). Throws on a malformed URL or inconsistent settings.
std::shared_ptr<broker::Broker> make_redis_broker(gateway::Gateway& server,
                                                  const std::string& redis_url,
                                                  const ClusterSettings& settings);

}  // namespace pulseboard::app
