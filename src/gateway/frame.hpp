#pragma once
// One Engine.IO packet ready for the wire. Text frames hold "<type digit><data>"; binary frames
// hold raw bytes (always a message). A broadcast encodes its frames once and every recipient's
// queue holds the same immutable buffer.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pulseboard::gateway {

struct Frame {
  std::shared_ptr<const std::string> data;
  bool binary = false;
};

inline Frame text_frame(std::string s) {
  return Frame{std::make_shared<const std::string>(std::move(s)), false};
}
// An Engine.IO message frame: "4" followed by a Socket.IO packet's text.
inline Frame message_frame(std::string_view packet_text) {
  std::string s;
  s.reserve(packet_text.size() + 1);
  s += '4';
  s += packet_text;
  return text_frame(std::move(s));
}
inline Frame binary_frame(std::string s) {
  return Frame{std::make_shared<const std::string>(std::move(s)), true};
}

// What a broadcast sends, to whom (docs/protocol-reference.md, Classic adapter: rooms empty = every
// socket of the namespace; sockets in any `except` room are skipped; socket ids are rooms).
struct Broadcast {
  std::string nsp = "/";
  std::vector<std::string> rooms;
  std::vector<std::string> except;
  std::vector<Frame> frames;  // the text frame, then one binary frame per attachment
  bool is_volatile = false;   // dropped for a socket whose transport is congested
  // Connection state recovery offset (the packet's last argument) of a recorded bridge
  // message; empty: not recoverable (recovery_store.hpp).
  std::string offset;
};

}  // namespace pulseboard::gateway
