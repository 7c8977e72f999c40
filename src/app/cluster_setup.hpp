#pragma once
// Connects a gateway to the rest of the cluster (docs/cluster.md): turns the cluster settings
// into the Redis broker of the bridge, the adapter that speaks with Node.js Socket.IO servers
// (cluster/adapter.hpp) and the recovery store that every gateway shares (docs/recovery.md).
//
// The adapter: the classic `@socket.io/redis-adapter` protocol, so Node.js Socket.IO servers and
// `@socket.io/redis-emitter` share the cluster (cluster/adapter_classic.hpp); or, on a Redis
// Cluster in sharded mode, the sharded one (`createShardedAdapter`, cluster/adapter_sharded.hpp);
// or `@socket.io/redis-streams-adapter` (cluster/adapter_streams.hpp), through which the bridge
// then flows too.
#include <memory>
#include <string>

#include "app/cluster_options.hpp"
#include "broker/broker_redis.hpp"
#include "cluster/adapter.hpp"
#include "gateway/gateway.hpp"
#include "gateway/local_sockets.hpp"
#include "redis/cluster_router.hpp"

namespace pulseboard::app {

// What connect_cluster makes. Declared in this order so that the adapter goes before the
// gateway's face it calls up through, and the broker before the router it may share.
struct RedisCluster {
  // Sharded mode: the one slot map and connection per master of this gateway, shared by the
  // broker and the recovery store.
  std::shared_ptr<redis::ClusterRouter> router;
  std::shared_ptr<broker::RedisBroker> broker;          // the bridge's
  std::shared_ptr<broker::RedisBroker> adapter_broker;  // classic adapter in sharded mode only
  std::unique_ptr<gateway::LoopSockets> local;
  std::shared_ptr<cluster::Adapter> adapter;  // null with SOCKETIO_ADAPTER=off
};

// The Redis broker for REDIS_URL on the gateway's first loop, with the adapter that
// `settings.adapter` names and, when the gateway keeps connection state recovery, the recovery
// store shared through Redis in place of its in-process one (recovery_store_redis.hpp; with the
// streams adapter the Node streams adapter's layout, recovery_store_streams.hpp, so clients
// recover across gateways and Node servers alike). /readyz waits for the streams adapter.
// The sharded adapter rides on the sharded broker; the streams adapter on the classic one, with
// its own stream connections, and the bridge then flows through it. The classic adapter in
// sharded mode gets its own classic pub/sub connection (PUBLISH and PSUBSCRIBE work
// cluster-wide on a Redis Cluster, which is how the classic Node adapter runs there).
// Throws on a malformed URL or inconsistent settings. The result lives as long as the server.
std::shared_ptr<RedisCluster> connect_cluster(gateway::Gateway& server,
                                              const std::string& redis_url,
                                              const ClusterSettings& settings);

}  // namespace pulseboard::app
