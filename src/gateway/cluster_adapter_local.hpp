#pragma once
// What a cluster adapter does to this gateway's own sockets on another server's behalf, shared
// by the classic (cluster_adapter.hpp) and the sharded (sharded_cluster_adapter.hpp) adapters:
// the two wire formats differ, the local effects do not. Each operation asks every event loop
// about its own sockets (cluster_loops.hpp); a `done` callback runs once, on the loop that
// finished last, and never if the loops have stopped.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/adapter_codec.hpp"
#include "cluster/limits.hpp"

namespace pulseboard::gateway {

class Gateway;

namespace local {

// Sockets of a namespace in any of `rooms` (all when empty) and in none of `except`.
struct Target {
  std::vector<std::string> rooms, except;
};
inline Target target_of(const cluster::BroadcastOptions& opts) {
  return {opts.rooms, opts.except};
}

// Queues EVENT `data` = [event, ...args] (binary values are placeholders into `attachments`;
// they go out as BINARY_EVENT) on the target sockets, honouring `volatile`. False, and nothing
// sent, when `data` is not an array starting with an event name or has a placeholder that
// names no attachment (socket.io-client would drop its connection over it).
// `offset` (a Redis Stream entry id, streams adapter): with connection state recovery on, a
// broadcast that is not volatile carries it as its last argument, as a Node server appends it.
bool broadcast(Gateway& server, const std::string& nsp, boost::json::value data,
               std::vector<std::string> attachments, const cluster::BroadcastOptions& opts,
               const std::string& offset = {});

// What a Node RemoteSocket is built from, for each target socket: {id, handshake, rooms, data}.
void fetch_sockets(Gateway& server, const std::string& nsp, Target target,
                   std::function<void(boost::json::array)> done);

// Joins (or leaves) `rooms` for each target socket; `done` gets how many sockets were targeted.
// A token's room list still limits joins. A join that would add more than
// limits.max_fanout_bytes of room entries over all target sockets is refused whole (counted,
// logged, `done` gets 0).
void update_membership(Gateway& server, const std::string& nsp, Target target,
                       std::vector<std::string> rooms, bool join, const cluster::Limits& limits,
                       std::function<void(std::size_t)> done);

// `close` false: the client gets DISCONNECT ("io server disconnect"); true: the Engine.IO
// session is closed ("transport close" on the client).
void disconnect_sockets(Gateway& server, const std::string& nsp, Target target, bool close,
                        std::function<void(std::size_t)> done);

// Emits `event` with an ack id to each target socket. `on_count` runs once with the number of
// sockets asked, always before any `on_ack` (a requester adds counts and acks up to know when it
// is complete, so an ack that comes first waits). `on_ack` runs per client ack with its first
// argument (null if none) and the ack's binary attachments.
// Each socket gets its own copy of the packet (its own ack id): when the copies would exceed
// limits.max_fanout_bytes the request is refused whole (counted, logged, neither callback
// runs, so the requester sees its timeout). False, and nothing sent, on the data broadcast()
// refuses.
using AckCount = std::function<void(std::uint64_t clients)>;
using AckReply =
    std::function<void(boost::json::value first_arg, std::vector<std::string> attachments)>;
bool broadcast_with_ack(Gateway& server, const std::string& nsp, Target target,
                        boost::json::value data, std::vector<std::string> attachments,
                        const cluster::Limits& limits, AckCount on_count, AckReply on_ack);

// A message past a bound (`bound`), from a peer or built here: counted in
// adapter_messages_over_limit and logged as a warning, at most one line per 10 s for the whole
// process (the next line says how many were left out). `adapter` and `what` name it in the log;
// `bytes` is its size when known (0 otherwise).
void refuse(Gateway& server, std::string_view adapter, cluster::Bound bound, std::string_view what,
            std::size_t bytes);
// A response this gateway could not encode for another reason (nesting, a missing attachment):
// logged like refuse(), not counted.
void warn_unencodable(std::string_view adapter, std::string_view what);

}  // namespace local
}  // namespace pulseboard::gateway
