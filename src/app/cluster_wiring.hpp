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
// `@socket.io/redis-emitter` share the cluster (gateway/cluster_adapter.hpp).
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "broker/broker.hpp"
#include "broker/broker_redis.hpp"
#include "gateway/cluster_adapter.hpp"
#include "gateway/server.hpp"

namespace pulseboard::app {

struct ClusterSettings {
  // REDIS_MODE: `pubsub` (one Redis, or PUBLISH on a Redis Cluster) or `sharded` (SPUBLISH /
  // SSUBSCRIBE on a Redis Cluster, Redis >= 7) for the bridge.
  broker::RedisBroker::Mode mode = broker::RedisBroker::Mode::pubsub;
  bool adapter = true;                    // SOCKETIO_ADAPTER=off disables the adapter
  std::string adapter_key = "socket.io";  // SOCKETIO_ADAPTER_KEY: the Node adapter's `key`
};

// From REDIS_MODE, SOCKETIO_ADAPTER and SOCKETIO_ADAPTER_KEY; throws std::runtime_error on a
// value it does not know.
ClusterSettings cluster_settings_from_env();
// --redis-mode, --socketio-adapter, --socketio-adapter-key (with the same environment names).
void add_cluster_options(CLI::App& cmd, ClusterSettings& settings);

void attach_bridge(gateway::Server& server, std::shared_ptr<broker::Broker> broker,
                   const std::string& bridge_channel);

// The Redis broker for REDIS_URL on the gateway's first loop, with the adapter attached when
// `settings.adapter` is on; the adapter lives as long as the returned pointer. In sharded mode
// the adapter gets its own classic pub/sub connection (PUBLISH and PSUBSCRIBE work cluster-wide
// on a Redis Cluster, which is how the Node adapter runs there). Throws on a malformed URL.
std::shared_ptr<broker::Broker> make_redis_broker(gateway::Server& server,
                                                  const std::string& redis_url,
                                                  const ClusterSettings& settings);
// The same, with the settings from the environment.
std::shared_ptr<broker::Broker> make_redis_broker(gateway::Server& server,
                                                  const std::string& redis_url);

}  // namespace pulseboard::app
