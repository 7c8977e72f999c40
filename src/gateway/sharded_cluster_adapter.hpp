#pragma once
// The gateway's side of `@socket.io/redis-adapter` 8.3's sharded adapter (`createShardedAdapter` on
// a Redis Cluster, Redis >= 7; docs/protocol-reference.md, Sharded adapter), so Pulseboard gateways
// and Node.js Socket.IO servers using it share one cluster. Needs a broker in sharded mode
// (SSUBSCRIBE / SPUBLISH routed by slot).
//
// For every namespace it serves, the gateway SSUBSCRIBEs `<key>#<nsp>#` (which is also what
// makes a Node server's serverCount(), PUBSUB SHARDNUMSUB, count it) and its own response
// channel `<key>#<nsp>#<uid>#`; in the dynamic modes also `<key>#<nsp>#<room>#` while the room
// exists on this gateway, as a Node server does. It applies broadcasts (with or without acks),
// socketsJoin/Leave, disconnectSockets and fetchSockets from other servers to its own sockets,
// and answers serverSideEmit with acks with null.
//
// Like the classic adapter, the gateway originates no adapter traffic of its own: what it
// delivers comes from the bridge, to which every gateway subscribes. It publishes responses
// only, to the requester's response channel. Messages with its own uid are ignored.
//
// As with the classic adapter, a message is hostile until it is within Options::limits
// (cluster/limits.hpp): past a bound it is dropped, counted in adapter_messages_over_limit and
// logged (rate-limited); so is a response that would encode past its bound.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "broker/broker.hpp"
#include "cluster/limits.hpp"
#include "cluster/sharded_codec.hpp"
#include "gateway/sharded_cluster_adapter_policy.hpp"

namespace pulseboard::gateway {

class Gateway;

class ShardedClusterAdapter : public std::enable_shared_from_this<ShardedClusterAdapter> {
 public:
  struct Options {
    std::string key = std::string(cluster::kDefaultKey);  // the Node adapter's `channelPrefix`
    cluster::sharded::SubscriptionMode mode = cluster::sharded::SubscriptionMode::dynamic;
    cluster::Limits limits{};
    // The streams adapter's Pub/Sub half (streams_cluster_adapter.hpp): responses always as
    // msgpack, which is all its Node peers decode there.
    bool msgpack_only = false;
    std::string name = "sharded adapter";  // in logs
  };

  // Subscribes for every namespace the server serves and, in the dynamic modes, starts
  // following the rooms of every event loop (safe before or after Gateway::start). Handlers run
  // on the broker's executor and never block it.
  static std::shared_ptr<ShardedClusterAdapter> start(Gateway& server,
                                                      std::shared_ptr<broker::Broker> broker,
                                                      Options options);

  // 16 hex characters, as the Node ClusterAdapter's randomBytes(8).toString("hex").
  const std::string& uid() const { return uid_; }

  // Messages received from other servers, and those dropped as malformed (logged at debug).
  // Those dropped past a bound are counted on /metrics (adapter_messages_over_limit).
  std::uint64_t messages_received() const { return received_.load(std::memory_order_relaxed); }
  std::uint64_t messages_malformed() const { return malformed_.load(std::memory_order_relaxed); }
  // Room channels held right now (dynamic modes).
  std::size_t room_channels() const;

  // A durable message of the streams adapter, read from its Redis Stream as entry `offset`: the
  // same effects as on Pub/Sub, and a broadcast carries `offset` for connection state recovery.
  void receive_entry(const std::string& nsp, cluster::sharded::Message& message,
                     const std::string& offset);

 private:
  ShardedClusterAdapter(Gateway& server, std::shared_ptr<broker::Broker> broker, Options options);
  void subscribe_namespace(const std::string& nsp);
  void follow_rooms();
  void on_room(const std::string& nsp, const std::string& room, bool exists);
  // The message boundary: runs receive() under refuse_on_bad_alloc.
  void on_message(const std::string& nsp, std::string_view channel, std::string_view payload);
  void receive(const std::string& nsp, std::string_view channel, std::string_view payload);
  void apply(const std::string& nsp, cluster::sharded::Message& message,
             const std::string& offset = {});
  void deliver(const std::string& nsp, cluster::sharded::Message& message,
               const std::string& offset);
  void deliver_with_ack(const std::string& nsp, cluster::sharded::Message& message);
  void fetch(const std::string& nsp, const cluster::sharded::Message& request);
  // Publishes `response` on the requester's response channel, stamped with our uid and `nsp`.
  void respond(const std::string& nsp, const std::string& requester_uid,
               cluster::sharded::Message response);
  broker::MessageHandler handler_for(const std::string& nsp);
  void count_malformed();  // here and on /metrics
  // Counted on /metrics and logged (rate-limited).
  void refuse(cluster::Bound bound, std::string_view what, std::size_t bytes);

  Gateway& server_;
  std::shared_ptr<broker::Broker> broker_;
  Options options_;
  std::string uid_;
  std::atomic<std::uint64_t> received_{0}, malformed_{0};
  mutable std::mutex rooms_mutex_;  // event loops report rooms concurrently
  sharded::RoomChannels room_channels_;
};

}  // namespace pulseboard::gateway
