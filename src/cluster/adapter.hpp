#pragma once
// The cluster-adapter seam. An adapter speaks one of the `@socket.io/redis-adapter` wire formats
// with the other servers of a cluster (Pulseboard gateways and Node.js Socket.IO servers) and
// applies what they ask to this gateway's own sockets:
//   adapter_classic.hpp  `createAdapter` (PUBLISH / PSUBSCRIBE)
//   adapter_sharded.hpp  `createShardedAdapter` (SPUBLISH / SSUBSCRIBE on a Redis Cluster)
//   adapter_streams.hpp  `@socket.io/redis-streams-adapter` (XADD / XREAD), which the bridge
//                        then flows through too (BridgeStream)
//
// The adapters never see the gateway: they call up through LocalSockets, the gateway's narrow
// face (gateway/local_sockets.hpp implements it over its loops, rooms and sessions), and count
// through AdapterMetrics. The gateway itself originates no adapter traffic (everything it
// delivers comes from the bridge, to which every gateway subscribes), so an Adapter offers it
// nothing but its identity and readiness.
#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/adapter_codec.hpp"
#include "cluster/limits.hpp"

namespace pulseboard::cluster {

// The counters the adapters bump (the gateway shows them on /metrics).
class AdapterMetrics {
 public:
  virtual ~AdapterMetrics() = default;
  virtual void message_received() = 0;    // adapter_messages_total
  virtual void message_malformed() = 0;   // adapter_messages_malformed
  virtual void message_over_limit() = 0;  // adapter_messages_over_limit
  virtual void stream_entry_read() = 0;   // stream_entries_total
  // A bridge message read back from the streams adapter's stream, with its data's committedAt
  // (unix ms): the gateway times its delivery like a bridge message it delivers itself.
  virtual void bridge_entry_read(std::int64_t committed_at_ms) = 0;
};

// Sockets of a namespace in any of `rooms` (all when empty) and in none of `except`.
struct Target {
  std::vector<std::string> rooms, except;
};
inline Target target_of(const BroadcastOptions& opts) {
  return {opts.rooms, opts.except};
}

// A bridge message with an offset, as the streams adapter appends it to its stream: `args` is
// the EVENT's argument as JSON text ("" when absent), `offset` the worker's eventId.
struct BridgeEntry {
  std::string nsp, room, event, args, offset;
};

// What an adapter does to this gateway's own sockets on another server's behalf. Each
// operation asks every event loop about its own sockets; a `done` callback runs once, on the
// loop that finished last, and never if the loops have stopped. Thread-safe.
class LocalSockets {
 public:
  using Count = std::function<void(std::size_t sockets)>;
  using Sockets = std::function<void(boost::json::array)>;
  using Rooms = std::function<void(std::vector<std::string>)>;
  using AckCount = std::function<void(std::uint64_t clients)>;
  using AckReply =
      std::function<void(boost::json::value first_arg, std::vector<std::string> attachments)>;
  // A room of `nsp` came to exist on one loop (`exists`) or left it; `is_socket_id` for the
  // room named after a socket.
  using RoomObserver = std::function<void(const std::string& nsp, const std::string& room,
                                          bool exists, bool is_socket_id)>;

  virtual ~LocalSockets() = default;

  // The namespaces this gateway serves.
  virtual const std::vector<std::string>& namespaces() const = 0;
  // Connection state recovery is on (a broadcast with an offset carries it).
  virtual bool recovery_enabled() const = 0;
  virtual AdapterMetrics& metrics() = 0;
  // Where an adapter runs its own Redis connections.
  virtual boost::asio::any_io_executor executor() = 0;
  // Reports every room of every loop, the existing ones at once, on the loop's own thread.
  virtual void observe_rooms(RoomObserver observer) = 0;

  // Queues EVENT `data` = [event, ...args] (binary values are placeholders into `attachments`;
  // they go out as BINARY_EVENT) on the target sockets, honouring `volatile`. False, and nothing
  // sent, when `data` is not an array starting with an event name or has a placeholder that
  // names no attachment (socket.io-client would drop its connection over it).
  // `offset` (a Redis Stream entry id, streams adapter): with connection state recovery on, a
  // broadcast that is not volatile carries it as its last argument, as a Node server appends it.
  virtual bool broadcast(const std::string& nsp, boost::json::value data,
                         std::vector<std::string> attachments, const BroadcastOptions& opts,
                         const std::string& offset = {}) = 0;
  // The ids of the target sockets.
  virtual void socket_ids(const std::string& nsp, Target target, Sockets done) = 0;
  // Every room of `nsp` on any loop, sorted, each once.
  virtual void room_names(const std::string& nsp, Rooms done) = 0;
  // What a Node RemoteSocket is built from, for each target socket: {id, handshake, rooms, data}.
  virtual void fetch_sockets(const std::string& nsp, Target target, Sockets done) = 0;
  // Joins (or leaves) `rooms` for each target socket; `done` gets how many sockets were
  // targeted. A token's room list still limits joins. A join that would add more than
  // limits.max_fanout_bytes of room entries over all target sockets is refused whole (counted,
  // logged, `done` gets 0).
  virtual void update_membership(const std::string& nsp, Target target,
                                 std::vector<std::string> rooms, bool join, const Limits& limits,
                                 Count done) = 0;
  // `close` false: the client gets DISCONNECT ("io server disconnect"); true: the Engine.IO
  // session is closed ("transport close" on the client).
  virtual void disconnect_sockets(const std::string& nsp, Target target, bool close,
                                  Count done) = 0;
  // Emits `data` with an ack id to each target socket. `on_count` runs once with the number of
  // sockets asked, always before any `on_ack` (a requester adds counts and acks up to know when
  // it is complete, so an ack that comes first waits). `on_ack` runs per client ack with its
  // first argument (null if none) and the ack's binary attachments.
  // Each socket gets its own copy of the packet (its own ack id): when the copies would exceed
  // limits.max_fanout_bytes the request is refused whole (counted, logged, neither callback
  // runs, so the requester sees its timeout). False, and nothing sent, on the data broadcast()
  // refuses.
  virtual bool broadcast_with_ack(const std::string& nsp, Target target, boost::json::value data,
                                  std::vector<std::string> attachments, const Limits& limits,
                                  AckCount on_count, AckReply on_ack) = 0;
  // A bridge message the streams adapter could not append (`why`): delivered to this
  // gateway's sockets at once, without an offset, counted and logged.
  virtual void deliver_unstreamed(const BridgeEntry& message, std::string_view why) = 0;
};

// What the gateway holds of its adapter.
class Adapter {
 public:
  virtual ~Adapter() = default;
  // This server's id in the adapter's protocol (messages carrying it are its own).
  virtual const std::string& uid() const = 0;
  // False while the adapter cannot yet do its part (/readyz waits for it).
  virtual bool ready() const { return true; }
};

// The gateway's bridge intake hands each bridge message with an offset to the streams adapter,
// which appends it to the stream once for the whole cluster (adapter_streams.hpp).
class BridgeStream {
 public:
  virtual ~BridgeStream() = default;
  virtual void append(BridgeEntry message) = 0;
};

// A message past a bound (`bound`), from a peer or built here: counted in
// adapter_messages_over_limit and logged as a warning, at most one line per 10 s for the whole
// process (the next line says how many were left out). `adapter` and `what` name it in the log;
// `bytes` is its size when known (0 otherwise).
void refuse(AdapterMetrics& metrics, std::string_view adapter, Bound bound, std::string_view what,
            std::size_t bytes);
// A response this gateway could not encode for another reason (nesting, a missing attachment):
// logged like refuse(), not counted.
void warn_unencodable(std::string_view adapter, std::string_view what);

}  // namespace pulseboard::cluster
