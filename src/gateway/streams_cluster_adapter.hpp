#pragma once
// The gateway's side of `@socket.io/redis-streams-adapter` 0.3.1 (docs/protocol-reference.md,
// Streams adapter; wire format in cluster/streams_codec.hpp), so Pulseboard gateways and Node.js
// Socket.IO servers on that adapter share one Redis, and a client recovers its connection state on
// either kind of node (docs/recovery.md):
//  - It reads the namespace's Redis Stream (XREAD BLOCK on a connection of its own, COUNT 100 a
//    read) and applies each entry to this gateway's own sockets: broadcasts carry their entry id
//    as the recovery offset, as on a Node server; SOCKETS_JOIN / SOCKETS_LEAVE /
//    DISCONNECT_SOCKETS act on the target sockets. Reading starts after the stream's last entry
//    at start-up and goes on from the last entry read after a Redis outage, so an outage loses
//    nothing that the stream still holds. /readyz waits for every reader to know where it
//    starts.
//  - Its Pub/Sub half (`<key>#<nsp>#` and its own `<key>#<nsp>#<uid>#`) is a
//    ShardedClusterAdapter in static mode answering in msgpack: broadcasts with acks,
//    fetchSockets and serverSideEmit work as with the sharded adapter.
//  - The bridge goes through the stream: a bridge message with an offset (the worker's
//    `eventId`) is appended to the stream once for the whole cluster (each gateway tries; the
//    eventId, remembered for `replay_window`, lets the first one in), under the uid `bridge`.
//    Until this gateway's readers know where they start, its appends wait, so that none lands
//    before that point, where its own reader would not see it.
//    Every gateway and every Node server then delivers it from the stream with the same entry
//    id. A replay of an eventId within the window is appended by nobody. Should the append fail
//    (Redis refused it, or the connection is down), this gateway delivers the message to its own
//    sockets at once, without an offset, and counts it: a dashboard never misses an update
//    because the stream could not take it.
//
// Entries are hostile until within Options::limits, as any adapter message (counted in
// adapter_messages_over_limit / adapter_messages_malformed). Needs one Redis (REDIS_MODE
// pubsub): the stream, the eventIds and the sessions are plain keys.
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "cluster/limits.hpp"
#include "cluster/streams_codec.hpp"
#include "gateway/bridge_broadcast.hpp"
#include "gateway/sharded_cluster_adapter.hpp"
#include "redis/connection.hpp"
#include "redis/endpoint.hpp"

namespace pulseboard::gateway {

class Gateway;

class StreamsClusterAdapter : public std::enable_shared_from_this<StreamsClusterAdapter> {
 public:
  struct Options {
    std::string key = std::string(cluster::kDefaultKey);  // the Node adapter's `channelPrefix`
    std::string stream = std::string(cluster::streams::kDefaultStream);  // `streamName`
    std::uint32_t stream_count = 1;                                      // `streamCount`
    std::size_t max_len = cluster::streams::kDefaultMaxLen;              // `maxLen`
    // How long an appended eventId is remembered: a replay within it is not appended again.
    std::chrono::milliseconds replay_window{std::chrono::minutes(3)};
    cluster::Limits limits{};
  };
  // The uid of the bridge's entries: not any server's, so every node delivers them.
  static constexpr std::string_view kBridgeUid = "bridge";
  static constexpr int kReadCount = 100;
  static constexpr int kBlockMs = 5000;

  // `pubsub` is a classic (pubsub-mode) broker for the ephemeral half; `redis` is where the
  // reader and the writer connect. Sets the server's bridge_stream.
  static std::shared_ptr<StreamsClusterAdapter> start(Gateway& server,
                                                      std::shared_ptr<broker::Broker> pubsub,
                                                      const redis::Endpoint& redis,
                                                      Options options);
  ~StreamsClusterAdapter();

  const std::string& uid() const { return messages_->uid(); }
  // Every stream reader knows where it starts (and reads from there on).
  bool reading() const;

 private:
  struct Reader {
    std::string stream;
    std::shared_ptr<redis::Connection> connection;
    std::string last_id;  // empty until the stream's end is known
    std::unique_ptr<boost::asio::steady_timer> retry;
  };

  StreamsClusterAdapter(Gateway& server, Options options);
  void find_end(Reader& reader);
  void read(Reader& reader);
  void retry(Reader& reader, void (StreamsClusterAdapter::*step)(Reader&));
  void apply(const cluster::streams::Entry& entry);
  void positioned();  // one more reader knows where it starts
  void append(bridge::Message message);
  void deliver_directly(const bridge::Message& message, std::string_view why);

  Gateway& server_;
  Options options_;
  std::shared_ptr<ShardedClusterAdapter> messages_;
  std::vector<std::unique_ptr<Reader>> readers_;
  std::shared_ptr<redis::Connection> writer_;
  mutable std::mutex start_mutex_;     // readers find their start on their own strands
  std::size_t positioned_ = 0;         // readers that know where they start
  std::vector<bridge::Message> held_;  // appends that wait for them, bounded by kMaxHeld
  static constexpr std::size_t kMaxHeld = 10000;
};

}  // namespace pulseboard::gateway
