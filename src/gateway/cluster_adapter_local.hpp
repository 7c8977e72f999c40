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
#include <vector>

#include "cluster/adapter_codec.hpp"

namespace pulseboard::gateway {

class Server;

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
// sent, when `data` is not an array starting with an event name.
bool broadcast(Server& server, const std::string& nsp, boost::json::value data,
               std::vector<std::string> attachments, const cluster::BroadcastOptions& opts);

// What a Node RemoteSocket is built from, for each target socket: {id, handshake, rooms, data}.
void fetch_sockets(Server& server, const std::string& nsp, Target target,
                   std::function<void(boost::json::array)> done);

// Joins (or leaves) `rooms` for each target socket; `done` gets how many sockets were targeted.
// A token's room list still limits joins.
void update_membership(Server& server, const std::string& nsp, Target target,
                       std::vector<std::string> rooms, bool join,
                       std::function<void(std::size_t)> done);

// `close` false: the client gets DISCONNECT ("io server disconnect"); true: the Engine.IO
// session is closed ("transport close" on the client).
void disconnect_sockets(Server& server, const std::string& nsp, Target target, bool close,
                        std::function<void(std::size_t)> done);

// Emits `event` with an ack id to each target socket. `on_count` runs once with the number of
// sockets asked, always before any `on_ack` (a requester adds counts and acks up to know when it
// is complete, so an ack that comes first waits). `on_ack` runs per client ack with its first
// argument (null if none) and the ack's binary attachments.
using AckCount = std::function<void(std::uint64_t clients)>;
using AckReply =
    std::function<void(boost::json::value first_arg, std::vector<std::string> attachments)>;
void broadcast_with_ack(Server& server, const std::string& nsp, Target target,
                        boost::json::value data, std::vector<std::string> attachments,
                        AckCount on_count, AckReply on_ack);

}  // namespace local
}  // namespace pulseboard::gateway
