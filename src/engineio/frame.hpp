#pragma once
// One Engine.IO packet ready for the wire: one WebSocket message, or one packet of a polling
// payload. Text frames hold "<type digit><data>"; binary frames hold raw bytes (always a
// message). A broadcast encodes its frames once and every recipient's queue holds the same
// immutable buffer.
#include <memory>
#include <string>
#include <string_view>

#include "websocket/events.hpp"

namespace pulseboard::eio {

using Frame = websocket::Message;

inline Frame text_frame(std::string s) {
  return Frame{std::make_shared<const std::string>(std::move(s)), false, 0};
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
  return Frame{std::make_shared<const std::string>(std::move(s)), true, 0};
}

}  // namespace pulseboard::eio
