#pragma once
// Room membership of the sockets owned by one event loop. Only that loop's thread touches it,
// so no locks: a broadcast is posted to every loop and each delivers to its own members.
#include <boost/unordered/unordered_flat_set.hpp>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "socketio/broadcast.hpp"
#include "socketio/room_members.hpp"

namespace pulseboard::socketio {

class Socket;

class RoomIndex {
 public:
  void add(Socket* socket);     // joins nothing; makes the socket reachable by namespace-wide sends
  void remove(Socket* socket);  // leaves every room
  void join(Socket* socket, const std::string& room);
  void leave(Socket* socket, const std::string& room);
  // Sockets of `nsp` in any of `rooms` (every socket when empty) and in none of `except`,
  // each once. The pointers stay valid until this loop runs anything else.
  std::vector<Socket*> select(const std::string& nsp, const std::vector<std::string>& rooms,
                              const std::vector<std::string>& except) const;
  // Queues the broadcast on each target socket once, in address order (socketio/room_members.hpp);
  // returns how many sockets received it.
  std::size_t deliver(const Broadcast& broadcast);
  std::vector<std::string> room_names(const std::string& nsp) const;
  std::size_t socket_count() const;

  // Called on this loop's thread when a room of `nsp` gets its first member in this loop
  // (`exists` true) or loses its last (false). `is_socket_id`: the room is a socket's own id
  // room. Only these transitions call it, so a connect costs one call at most per room.
  using RoomObserver = std::function<void(const std::string& nsp, const std::string& room,
                                          bool exists, bool is_socket_id)>;
  // Installs `observer` (replacing any) and reports every existing room to it as existing.
  void observe_rooms(RoomObserver observer);

 private:
  using Members = RoomMembers;
  struct Namespace {
    Members sockets;
    std::unordered_map<std::string, Members> rooms;
  };
  // select()'s sockets in address order: a room's kept list when one room (or the whole
  // namespace) is the target with no exceptions, which is what the bridge sends.
  RoomMembers::Ordered recipients(const std::string& nsp, const std::vector<std::string>& rooms,
                                  const std::vector<std::string>& except) const;
  static const Members* single_target(const Namespace& ns, const std::vector<std::string>& rooms);
  bool excluded(const Namespace& ns, Socket* socket, const std::vector<std::string>& except) const;
  void erase_if_empty(Namespace& ns, const std::string& nsp, Socket* socket,
                      const std::string& room);
  std::unordered_map<std::string, Namespace> namespaces_;
  RoomObserver observer_;
};

}  // namespace pulseboard::socketio
