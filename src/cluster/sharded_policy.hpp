#pragma once
// The sharded adapter's decisions, without I/O, so they can be tested on their own: what to do
// with a message from another server, and which room channels to hold as rooms come and go.
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cluster/sharded_codec.hpp"

namespace pulseboard::cluster::sharded {

enum class Action {
  ignore_own,               // every server also receives what it publishes
  ignore_other_namespace,   // not the namespace of the channel it arrived on
  ignore_heartbeat,         // 1, 2, 13: ClusterAdapterWithHeartbeat traffic, not ours to track
  ignore_response,          // 8, 10, 11, 12: answers to requests this gateway never sends
  ignore_server_side_emit,  // 9 without ack: the gateway has no server-side handlers
  deliver,                  // 3
  deliver_with_ack,         // 3 with requestId: count, then each client's ack
  join,                     // 4
  leave,                    // 5
  disconnect,               // 6
  fetch,                    // 7
  answer_server_side_emit,  // 9 with requestId: answer null, so the requester need not time out
};

// `nsp` is the namespace whose channel the message came from; `own_uid` this gateway's uid.
Action decide(const Message& message, std::string_view own_uid, std::string_view nsp);

// Whether a room gets its own channel (Node's shouldUseASeparateNamespace): in `dynamic` every
// room but socket ids, in `dynamic-private` every room, in `static` none.
bool has_room_channel(SubscriptionMode mode, bool is_socket_id);

// The room channels this gateway holds. A room may exist on several event loops at once; its
// channel is subscribed while at least one loop has it. Not thread-safe: the owner locks.
class RoomChannels {
 public:
  explicit RoomChannels(std::string key) : key_(std::move(key)) {}

  enum class Change { none, subscribe, unsubscribe };
  struct Update {
    Change change = Change::none;
    std::string channel;
  };
  // One loop reports that `room` of `nsp` now exists there (or no longer does).
  Update on_room(std::string_view nsp, std::string_view room, bool exists);
  std::size_t channels() const { return loops_.size(); }

 private:
  std::string key_;
  std::unordered_map<std::string, std::size_t> loops_;  // channel -> loops that have the room
};

}  // namespace pulseboard::cluster::sharded
