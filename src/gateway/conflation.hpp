#pragma once
// Which bridge messages are latest-value-wins, and the small key their broadcast frame carries
// (websocket::Message::conflation_key): a newer frame with the same key replaces the one still
// waiting in a socket's send queue (engineio/frame_queue.hpp). The key names one
// (namespace, room, event); it is computed once per broadcast, never per recipient.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bridge/bridge_message.hpp"
#include "socketio/broadcast.hpp"

namespace pulseboard::gateway {

class ConflationKeys {
 public:
  // `events`: the event names that are latest-value-wins (--conflate-events); a retained message
  // always is (it is the room's state, not a step of it).
  explicit ConflationKeys(const std::vector<std::string>& events);

  // Marks the broadcast's text frame with the key of `m`'s (namespace, room, event) when `m` is
  // latest-value-wins. A message with a recovery offset is never marked: it is a step of the
  // recovery sequence, and a client's offset must never skip one it did not receive.
  void mark(socketio::Broadcast& b, const bridge::Message& m);
  // The key of (nsp, room, event); 0 (no conflation) once max_keys distinct ones were made.
  std::uint32_t key_for(const std::string& nsp, const std::string& room, const std::string& event);
  bool conflates(const bridge::Message& m) const;

  // Bridge publishers choose room names: the table of keys stays bounded whatever they send.
  static constexpr std::size_t max_keys = 65536;

 private:
  std::unordered_set<std::string> events_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::uint32_t> ids_;  // key: nsp \0 room \0 event
};

}  // namespace pulseboard::gateway
