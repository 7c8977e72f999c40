#include "socketio/room_index.hpp"

#include <algorithm>

#include "engineio/session.hpp"
#include "socketio/socket.hpp"

namespace pulseboard::socketio {

void RoomIndex::add(Socket* socket) {
  namespaces_[socket->nsp()].sockets.insert(socket);
}

void RoomIndex::remove(Socket* socket) {
  auto it = namespaces_.find(socket->nsp());
  if (it == namespaces_.end()) return;
  for (const auto& room : socket->rooms()) erase_if_empty(it->second, it->first, socket, room);
  it->second.sockets.erase(socket);
  if (it->second.sockets.empty()) namespaces_.erase(it);
}

void RoomIndex::join(Socket* socket, const std::string& room) {
  auto& members = namespaces_[socket->nsp()].rooms[room];
  bool created = members.empty();
  members.insert(socket);
  if (created && observer_) observer_(socket->nsp(), room, true, room == socket->id());
}

void RoomIndex::leave(Socket* socket, const std::string& room) {
  auto it = namespaces_.find(socket->nsp());
  if (it == namespaces_.end()) return;
  erase_if_empty(it->second, it->first, socket, room);
}

// Takes `socket` out of `room` and drops the room when that left it empty.
void RoomIndex::erase_if_empty(Namespace& ns, const std::string& nsp, Socket* socket,
                               const std::string& room) {
  auto r = ns.rooms.find(room);
  if (r == ns.rooms.end()) return;
  r->second.erase(socket);
  if (!r->second.empty()) return;
  ns.rooms.erase(r);
  if (observer_) observer_(nsp, room, false, room == socket->id());
}

void RoomIndex::observe_rooms(RoomObserver observer) {
  observer_ = std::move(observer);
  if (!observer_) return;
  for (const auto& [nsp, ns] : namespaces_)
    for (const auto& entry : ns.rooms) {
      // Not a structured binding: clang before 16 cannot capture one in a lambda.
      const std::string& room = entry.first;
      bool is_socket_id = std::any_of(entry.second.begin(), entry.second.end(),
                                      [&room](Socket* s) { return s->id() == room; });
      observer_(nsp, room, true, is_socket_id);
    }
}

bool RoomIndex::excluded(const Namespace& ns, Socket* socket,
                         const std::vector<std::string>& except) const {
  for (const auto& room : except) {
    auto r = ns.rooms.find(room);
    if (r != ns.rooms.end() && r->second.contains(socket)) return true;
  }
  return false;
}

std::vector<Socket*> RoomIndex::select(const std::string& nsp,
                                       const std::vector<std::string>& rooms,
                                       const std::vector<std::string>& except) const {
  std::vector<Socket*> targets;
  auto it = namespaces_.find(nsp);
  if (it == namespaces_.end()) return targets;
  const Namespace& ns = it->second;
  auto consider = [&](Socket* s) {
    if (!except.empty() && excluded(ns, s, except)) return;
    targets.push_back(s);
  };
  if (rooms.size() <= 1) {
    const Members* members = single_target(ns, rooms);
    if (!members) return targets;
    targets.reserve(members->size());
    for (Socket* s : *members) consider(s);
  } else {
    boost::unordered_flat_set<Socket*> seen;
    for (const auto& room : rooms) {
      auto r = ns.rooms.find(room);
      if (r == ns.rooms.end()) continue;
      for (Socket* s : r->second)
        if (seen.insert(s).second) consider(s);
    }
  }
  return targets;
}

RoomMembers::Ordered RoomIndex::recipients(const std::string& nsp,
                                           const std::vector<std::string>& rooms,
                                           const std::vector<std::string>& except) const {
  if (except.empty() && rooms.size() <= 1) {
    auto it = namespaces_.find(nsp);
    const Members* members = it == namespaces_.end() ? nullptr : single_target(it->second, rooms);
    return members ? members->ordered() : in_address_order({});
  }
  return in_address_order(select(nsp, rooms, except));
}

// The members a one-room (or namespace-wide, `rooms` empty) target names; null when the room
// has none here.
const RoomIndex::Members* RoomIndex::single_target(const Namespace& ns,
                                                   const std::vector<std::string>& rooms) {
  if (rooms.empty()) return &ns.sockets;
  auto r = ns.rooms.find(rooms.front());
  return r == ns.rooms.end() ? nullptr : &r->second;
}

namespace {

// On a large gateway the recipients' sockets, sessions and transports do not fit in the CPU's
// cache, and each is a pointer away from the one before: fetched one by one, every recipient
// waits on memory three times over. So the walk asks for them a few recipients ahead, each stage
// reading only what the stage before it fetched.
void prefetch_ahead(const std::vector<Socket*>& targets, std::size_t i) {
  constexpr std::size_t kSocket = 12, kSession = 8, kWriter = 4;
  const std::size_t n = targets.size();
  if (i + kSocket < n) __builtin_prefetch(targets[i + kSocket]);
  if (i + kSession < n) targets[i + kSession]->session().prefetch();
  if (i + kWriter < n) targets[i + kWriter]->session().prefetch_writer();
}

}  // namespace

std::size_t RoomIndex::deliver(const Broadcast& b) {
  std::size_t count = 0;
  // Sessions may close while we deliver (queue overflow, a failed write) and leave their rooms:
  // the list walked here is held, and a leave replaces a room's list rather than changing it.
  // A closed session and its sockets are freed only on a later loop turn
  // (eio::Session::close), so every pointer stays good until this returns.
  const RoomMembers::Ordered held = recipients(b.nsp, b.rooms, b.except);
  const std::vector<Socket*>& targets = *held;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    prefetch_ahead(targets, i);
    Socket* target = targets[i];
    eio::Session& session = target->session();
    if (session.closed()) continue;
    if (b.is_volatile && session.congested()) continue;
    if (!b.offset.empty() && target->skip_replayed(b.offset)) continue;
    if (target->hidden() && !b.control) {
      target->hold(b.frames);
      continue;
    }
    if (session.send_all(b.frames)) ++count;
  }
  return count;
}

std::vector<std::string> RoomIndex::room_names(const std::string& nsp) const {
  std::vector<std::string> out;
  auto it = namespaces_.find(nsp);
  if (it == namespaces_.end()) return out;
  for (const auto& [room, members] : it->second.rooms) out.push_back(room);
  return out;
}

std::size_t RoomIndex::socket_count() const {
  std::size_t n = 0;
  for (const auto& [nsp, ns] : namespaces_) n += ns.sockets.size();
  return n;
}

}  // namespace pulseboard::socketio
