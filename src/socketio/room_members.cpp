#include "socketio/room_members.hpp"

#include <algorithm>
#include <functional>

namespace pulseboard::socketio {

bool RoomMembers::insert(Socket* socket) {
  if (!set_.insert(socket).second) return false;
  ordered_.reset();
  return true;
}

void RoomMembers::erase(Socket* socket) {
  if (set_.erase(socket) > 0) ordered_.reset();
}

RoomMembers::Ordered RoomMembers::ordered() const {
  if (ordered_) return ordered_;
  Ordered list = in_address_order(std::vector<Socket*>(set_.begin(), set_.end()));
  if (set_.size() >= kKeepOrderedFrom) ordered_ = list;
  return list;
}

RoomMembers::Ordered in_address_order(std::vector<Socket*> sockets) {
  // std::less, not <: it is the comparison that orders unrelated pointers.
  std::sort(sockets.begin(), sockets.end(), std::less<Socket*>{});
  return std::make_shared<const std::vector<Socket*>>(std::move(sockets));
}

}  // namespace pulseboard::socketio
