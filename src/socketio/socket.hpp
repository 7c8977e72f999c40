#pragma once
// A Socket.IO socket: one client's connection to one namespace, with its own 20-char id
// (also a room), the rooms it is in, its verified claims and the acks it is waiting for.
#include <boost/json/value.hpp>

#include <chrono>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "socketio/broadcast.hpp"

namespace pulseboard::eio {
class Session;
}

namespace pulseboard::socketio {

class SocketIoClient;

// An ack from the client: its args (binary values as placeholders) and attachments.
using AckCallback = std::function<void(const boost::json::array& args,
                                       const std::vector<std::string>& attachments)>;

class Socket {
 public:
  Socket(std::string id, std::string nsp, eio::Session& session, SocketIoClient& client,
         std::optional<std::vector<std::string>> allowed_rooms, std::string subject)
      : session_(session),
        id_(std::move(id)),
        nsp_(std::move(nsp)),
        client_(client),
        allowed_rooms_(std::move(allowed_rooms)),
        subject_(std::move(subject)) {}

  const std::string& id() const { return id_; }
  // Private session id for connection state recovery; empty when recovery is off.
  const std::string& pid() const { return pid_; }
  void set_pid(std::string pid) { pid_ = std::move(pid); }
  // Offsets a recovery sent that may still arrive live (in flight to this loop when the store
  // answered): the live copy is skipped. The first live offset not among them ends the set,
  // since the live order is the recorded order.
  void replayed(std::string offset) { replayed_.insert(std::move(offset)); }
  bool skip_replayed(const std::string& offset) {
    if (replayed_.empty() || offset.empty()) return false;
    if (replayed_.erase(offset)) return true;
    replayed_.clear();
    return false;
  }
  // When the socket's session was last saved for recovery.
  std::chrono::steady_clock::time_point saved_at() const { return saved_at_; }
  void set_saved_at(std::chrono::steady_clock::time_point t) { saved_at_ = t; }
  const std::string& nsp() const { return nsp_; }
  const std::string& subject() const { return subject_; }
  eio::Session& session() { return session_; }
  // The Socket.IO layer that owns this socket (joins, leaves and disconnects go through it).
  SocketIoClient& client() { return client_; }
  std::chrono::system_clock::time_point connected_at() const { return connected_at_; }
  std::unordered_set<std::string>& rooms() { return rooms_; }
  bool may_join(const std::string& room) const;
  // Disconnected: it has left every room and is freed on a later loop turn. Nothing may make
  // it join a room again.
  bool removed() const { return removed_; }
  void mark_removed() { removed_ = true; }

  // The dashboard's tab is hidden (`pulseboard:visibility`): broadcasts are held back, only the
  // latest frame of each latest-value key kept (docs/gateway.md, "Flow control").
  bool hidden() const { return hidden_; }
  // A broadcast for a hidden socket: a latest-value frame replaces the one held for its key;
  // anything else is dropped (the next snapshot carries it). Either is counted.
  void hold(const std::vector<Frame>& frames);
  // Hidden or visible again; on visible, the held frames are queued at once, oldest key first.
  void set_hidden(bool hidden);
  std::size_t held() const { return held_.size(); }
  // Latest-value keys held at most: beyond, more are dropped like any update.
  static constexpr std::size_t max_held = 128;

  // Queues an EVENT; with `on_ack`, asks the client for an ack.
  void emit(std::string_view event, const boost::json::array& args,
            std::vector<std::string> attachments = {}, AckCallback on_ack = {});
  void send_frames(const std::vector<Frame>& frames);
  // Called with an ACK from the client; unknown ids (never asked for, already answered, or dropped
  // past the bound) are ignored.
  void on_ack(std::uint64_t id, const boost::json::array& args,
              const std::vector<std::string>& attachments);

  static constexpr std::size_t max_pending_acks = 256;

 private:
  // What a broadcast reads first, in one cache line: it touches every recipient's socket.
  eio::Session& session_;
  bool removed_ = false;
  bool hidden_ = false;
  std::unordered_set<std::string> replayed_;

  std::string id_;
  std::string pid_;
  std::chrono::steady_clock::time_point saved_at_{};
  std::string nsp_;
  SocketIoClient& client_;
  std::chrono::system_clock::time_point connected_at_ = std::chrono::system_clock::now();
  std::optional<std::vector<std::string>> allowed_rooms_;
  std::string subject_;
  std::unordered_set<std::string> rooms_;
  std::map<std::uint64_t, AckCallback> pending_acks_;
  std::uint64_t next_ack_id_ = 0;
  std::vector<Frame> held_;
};

}  // namespace pulseboard::socketio
