#pragma once
// One Engine.IO packet ready for the wire: one WebSocket message, or one packet of a polling
// payload. Text frames hold "<type digit><data>"; binary frames hold raw bytes (always a
// message). A broadcast encodes its frames once and every recipient's queue holds the same
// immutable buffer, which also keeps the compressed form permessage-deflate sockets send, made
// once (websocket/deflate.hpp).
#include <memory>
#include <string>
#include <string_view>

#include "websocket/events.hpp"

namespace pulseboard::eio {

using Frame = websocket::Message;

inline Frame text_frame(std::string s) {
  return Frame{
      .data = websocket::make_shared_payload(std::move(s)), .binary = false, .deflatable = true};
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
  return Frame{
      .data = websocket::make_shared_payload(std::move(s)), .binary = true, .deflatable = true};
}

}  // namespace pulseboard::eio
