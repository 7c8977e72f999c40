#pragma once
// The Socket.IO v5 layer of one Engine.IO session (docs/protocol-reference.md, Socket.IO v5):
// decodes packets, admits sockets to namespaces after checking the token, dispatches events and
// acks, and cleans up room membership when a socket leaves.
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/token_bucket.hpp"
#include "engineio/close_reason.hpp"
#include "engineio/session.hpp"
#include "engineio/session_handler.hpp"
#include "recovery/recovery_store.hpp"
#include "sio/packet.hpp"
#include "socketio/client_host.hpp"
#include "socketio/socket.hpp"

namespace pulseboard::socketio {

class SocketIoClient final : public eio::SessionHandler {
 public:
  // A CONNECT naming a longer namespace closes the session before any other work: no
  // configured namespace is that long, and a refusal would echo it back.
  static constexpr std::size_t kMaxNamespaceBytes = 256;
  // CONNECT_ERROR replies one session may be sent in all, in bytes: a client that never reads
  // them cannot make the gateway hold more (past it the session is closed).
  static constexpr std::size_t kMaxConnectErrorBytes = 16 * 1024;

  // `loop`: the state of the loop that runs `session`, whose rooms its sockets join.
  SocketIoClient(eio::Session& session, ClientHost& host, LoopRooms& loop);
  ~SocketIoClient() override;

  // eio::SessionHandler
  void on_open() override;  // arms the CONNECT deadline
  // Engine.IO message payloads. False means a protocol error: the session closes.
  bool on_message(std::string_view text) override;
  bool on_binary_message(std::string_view bytes) override;
  void on_heartbeat() override { refresh_recovery(); }
  // Session closed: every socket leaves its rooms.
  void on_close(eio::CloseReason reason) override;
  // False when the socket may not be in one more room (--max-rooms-per-socket), or is gone.
  // `send_retained`: the room's retained messages follow (not for a recovered socket).
  bool join(Socket& socket, const std::string& room, bool send_retained = true);
  // Connection state recovery: refreshes what the store keeps of each socket when half the
  // recovery window has passed since it was saved (called on every heartbeat), so a socket
  // whose gateway dies stays recoverable.
  // `all`: every socket now, whenever it was saved.
  void refresh_recovery(bool all = false);
  void leave(Socket& socket, const std::string& room);
  // The server ends the socket of `nsp`: the client gets DISCONNECT ("io server disconnect")
  // and the Engine.IO session stays open for its other namespaces.
  void disconnect(const std::string& nsp);

  // For the sockets of this client (Socket::hold).
  void count(Counter counter) { host_.count(counter); }

 private:
  // What a verified CONNECT admits: the namespace and the token's rooms and subject.
  struct Admit {
    std::string nsp;
    std::optional<std::vector<std::string>> allowed_rooms;
    std::string subject;
  };
  Socket& connect_socket(Admit admit, const recovery::Recovered* recovered);
  // socketio_recovery.cpp
  void recover(Admit admit, std::string pid, std::string offset);
  // On the session's loop, with the store's answer (or none at the deadline).
  void admit_recovered(Admit admit, const std::string& offset, recovery::Lookup lookup);
  // On the session's loop, as the store's answer arrives there: times the lookup, and says where a
  // late one waited (until the store answered, and until this loop ran the answer).
  void time_lookup(std::chrono::steady_clock::time_point asked,
                   std::chrono::steady_clock::time_point answered, bool late);
  void send_missed(Socket& socket, const recovery::Recovered& recovered);
  void save_for_recovery(Socket& socket, bool disconnected = false);
  void forget_for_recovery(Socket& socket);

  bool after_decode(sio::Decoder::Status status);
  bool dispatch(sio::Packet packet);
  bool on_connect(sio::Packet& packet);
  // The token's rooms and subject, or nothing when the CONNECT was refused (and answered).
  std::optional<Admit> verify_connect(const sio::Packet& packet);
  // The `pid` and `offset` of a CONNECT asking for its socket back, within their bounds.
  std::optional<std::pair<std::string, std::string>> recovery_asked(
      const sio::Packet& packet) const;
  // The bounds checked before a CONNECT costs anything: false when the session was closed.
  bool may_connect(const std::string& nsp);
  void refuse_connect(const std::string& nsp, std::string_view message, boost::json::value data);
  void close_for(Counter why, eio::CloseReason reason);
  void on_event(Socket& socket, sio::Packet& packet);
  // `pulseboard:visibility`: applied, or refused and counted; the state applied, if any.
  std::optional<bool> apply_visibility(Socket& socket, const boost::json::array& args);
  void send_packet(const sio::Packet& packet);
  void remove_socket(const std::string& nsp);

  eio::Session& session_;
  ClientHost& host_;
  LoopRooms& loop_;
  sio::Decoder decoder_;
  std::map<std::string, std::unique_ptr<Socket>> sockets_;       // by namespace
  std::unique_ptr<boost::asio::steady_timer> connect_deadline_;  // until the first CONNECT
  std::set<std::string> recovering_;  // namespaces whose CONNECT awaits the recovery store
  // The session's rate limits: they outlive its sockets, so leaving a namespace and coming
  // back buys nothing.
  TokenBucket events_;
  TokenBucket connects_;
  std::size_t connects_seen_ = 0;
  std::size_t failed_connects_ = 0;
  std::size_t connect_error_bytes_ = 0;
  bool ever_connected_ = false;
};

// Frames of one Socket.IO packet: "4<packet text>", then each attachment as a binary frame.
std::vector<Frame> encode_frames(const sio::Packet& packet);

}  // namespace pulseboard::socketio
