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
  if (rooms.empty()) {
    targets.reserve(ns.sockets.size());
    for (Socket* s : ns.sockets) consider(s);
  } else if (rooms.size() == 1) {
    auto r = ns.rooms.find(rooms.front());
    if (r == ns.rooms.end()) return targets;
    targets.reserve(r->second.size());
    for (Socket* s : r->second) consider(s);
  } else {
    std::unordered_set<Socket*> seen;
    for (const auto& room : rooms) {
      auto r = ns.rooms.find(room);
      if (r == ns.rooms.end()) continue;
      for (Socket* s : r->second)
        if (seen.insert(s).second) consider(s);
    }
  }
  return targets;
}

std::size_t RoomIndex::deliver(const Broadcast& b) {
  std::size_t count = 0;
  // Sessions may close while we deliver (queue overflow); collect targets first so the
  // containers we iterate are never modified underneath us.
  std::vector<Socket*> targets = select(b.nsp, b.rooms, b.except);
  // Hold each session while sending: an overflow closes it and frees its sockets.
  std::vector<std::shared_ptr<eio::Session>> sessions;
  sessions.reserve(targets.size());
  for (Socket* s : targets) sessions.push_back(s->session().shared_from_this());
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    auto& session = sessions[i];
    if (session->closed()) continue;
    if (b.is_volatile && session->congested()) continue;
    // Freed only on a later loop turn (deferred), so the pointer is still good here.
    if (!b.offset.empty() && targets[i]->skip_replayed(b.offset)) continue;
    if (targets[i]->hidden() && !b.control) {
      targets[i]->hold(b.frames);
      continue;
    }
    if (session->send_all(b.frames)) ++count;
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
