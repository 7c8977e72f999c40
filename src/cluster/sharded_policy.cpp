#include "cluster/sharded_policy.hpp"

namespace pulseboard::cluster::sharded {

Action decide(const Message& m, std::string_view own_uid, std::string_view nsp) {
  if (m.uid == own_uid) return Action::ignore_own;
  if (m.nsp != nsp) return Action::ignore_other_namespace;
  switch (m.type) {
    case MessageType::broadcast:
      return m.request_id ? Action::deliver_with_ack : Action::deliver;
    case MessageType::sockets_join:
      return Action::join;
    case MessageType::sockets_leave:
      return Action::leave;
    case MessageType::disconnect_sockets:
      return Action::disconnect;
    case MessageType::fetch_sockets:
      return Action::fetch;
    case MessageType::server_side_emit:
      return m.request_id ? Action::answer_server_side_emit : Action::ignore_server_side_emit;
    case MessageType::initial_heartbeat:
    case MessageType::heartbeat:
    case MessageType::adapter_close:
      return Action::ignore_heartbeat;
    case MessageType::fetch_sockets_response:
    case MessageType::server_side_emit_response:
    case MessageType::broadcast_client_count:
    case MessageType::broadcast_ack:
      return Action::ignore_response;
  }
  return Action::ignore_response;
}

bool has_room_channel(SubscriptionMode mode, bool is_socket_id) {
  switch (mode) {
    case SubscriptionMode::dynamic:
      return !is_socket_id;
    case SubscriptionMode::dynamic_private:
      return true;
    case SubscriptionMode::static_channels:
      return false;
  }
  return false;
}

RoomChannels::Update RoomChannels::on_room(std::string_view nsp, std::string_view room,
                                           bool exists) {
  Update u;
  u.channel = room_channel(key_, nsp, room);
  if (exists) {
    if (++loops_[u.channel] == 1) u.change = Change::subscribe;
    return u;
  }
  auto it = loops_.find(u.channel);
  if (it == loops_.end()) return u;  // never reported as existing: nothing to undo
  if (--it->second == 0) {
    loops_.erase(it);
    u.change = Change::unsubscribe;
  }
  return u;
}

}  // namespace pulseboard::cluster::sharded
