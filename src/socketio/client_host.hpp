#pragma once
// What the Socket.IO layer of a session needs from the process it runs in: its settings, the
// counters it bumps, the budget for the log lines a client can cause, the token verifier, the
// retained messages and the recovery store. One per process, outliving every session; the
// gateway implements it. Per event loop, the layer also gets that loop's LoopRooms.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/refusal_log.hpp"
#include "recovery/recent_broadcasts.hpp"
#include "socketio/broadcast.hpp"
#include "socketio/room_index.hpp"

namespace pulseboard::auth {
class JwtVerifier;
}
namespace pulseboard::recovery {
class RecoveryStore;
}

namespace pulseboard::socketio {

class RetainedMessages;

// Socket.IO settings, with the Node server's defaults (docs/security.md for the bounds).
struct Settings {
  std::vector<std::string> namespaces{"/"};
  std::vector<std::string> default_rooms{"live-metrics"};
  std::size_t max_attachments = 10;
  std::chrono::milliseconds connect_timeout{45000};  // CONNECT must arrive within this
  std::size_t max_connect_attempts = 10;  // failed CONNECTs per session before it is closed
  std::size_t max_rooms_per_socket = 64;  // rooms a socket may be in, besides its own id room
  // Per Engine.IO session, all its namespaces together, so a socket that leaves and comes back
  // starts from what its session had left. Past the event burst the socket is disconnected.
  double events_per_second = 20;
  double event_burst = 60;
  // CONNECTs per session, refused or not (each may cost a token verification and a recovery
  // store write); past the burst the session is closed.
  double connects_per_second = 1;
  double connect_burst = 10;
  // Connection state recovery (docs/recovery.md): how long a disconnected client's socket
  // (sid, rooms, missed packets) is kept; 0 turns recovery off. Within it, a client that comes
  // back, to this gateway or another one on the same Redis, gets its socket back.
  std::chrono::milliseconds recovery_window{120000};
  // How long a CONNECT waits for the recovery store before it gets a fresh socket instead.
  std::chrono::milliseconds recovery_deadline{5000};

  bool has_namespace(const std::string& nsp) const;
};

enum class Counter {
  // Refusals, each its own reason on /metrics.
  unknown_namespace,   // a CONNECT to a namespace not served: refused
  auth_failed,         // a CONNECT whose token does not verify: refused
  connect_timeout,     // no CONNECT within the timeout: session closed
  event_rate,          // events over the rate: socket disconnected
  room_limit,          // a join over the rooms per socket: denied
  connect_attempts,    // too many failed CONNECTs (or their replies' bytes): session closed
  connect_rate,        // CONNECTs over the rate: session closed
  namespace_too_long,  // a CONNECT's namespace over its bound: session closed
  visibility_invalid,  // a pulseboard:visibility event whose payload is not {hidden: bool}
  // Sockets and connection state recovery.
  socket_connected,
  socket_removed,
  // Flow control (docs/gateway.md): a socket's tab became hidden, or stopped being hidden (shown
  // again, or the hidden socket is gone); a broadcast frame held back for a hidden socket (the
  // newest of its key), or not sent to it at all.
  socket_hidden,
  socket_unhidden,
  hidden_frame_held,
  hidden_frame_dropped,
  recovery_attempted,
  recovery_succeeded,
  recovery_rate_limited,
  recovery_beyond_bound,
  recovery_timed_out,  // the store did not answer within recovery_deadline: a fresh socket
};

class ClientHost {
 public:
  virtual const Settings& settings() const = 0;
  virtual void count(Counter counter) = 0;
  virtual RefusalLog& refusal_log() = 0;
  // Null: anonymous sockets are allowed.
  virtual const auth::JwtVerifier* verifier() const = 0;
  virtual const RetainedMessages& retained() const = 0;
  // Null when recovery is off.
  virtual recovery::RecoveryStore* recovery() = 0;
  // How long a recovery lookup took, from asking the store to its answer reaching the session's
  // loop; answers after the deadline are observed too (a slow store, not a lost one).
  virtual void observe_recovery_lookup(std::chrono::steady_clock::duration took) = 0;

 protected:
  ~ClientHost() = default;
};

// The Socket.IO state one event loop owns: its sockets' room membership and the broadcasts it
// delivered lately (for recovering sockets). Only that loop's thread touches it.
struct LoopRooms {
  RoomIndex rooms;
  recovery::RecentBroadcasts<Broadcast> recent;

  // Delivers a broadcast to this loop's sockets, keeping it for recovering ones when it has
  // an offset. On the loop.
  void deliver(std::shared_ptr<const Broadcast> b) {
    recent.push(b);
    rooms.deliver(*b);
  }
};

}  // namespace pulseboard::socketio
