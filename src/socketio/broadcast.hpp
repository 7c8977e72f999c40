#pragma once
// What a broadcast sends, to whom. Its frames are Engine.IO frames (engineio/frame.hpp), named
// here too for the Socket.IO code that builds them.
#include <string>
#include <vector>

#include "engineio/frame.hpp"

namespace pulseboard::socketio {

using eio::binary_frame;
using eio::Frame;
using eio::message_frame;
using eio::text_frame;

// docs/protocol-reference.md, Classic adapter: rooms empty = every socket of the namespace;
// sockets in any `except` room are skipped; socket ids are rooms.
struct Broadcast {
  std::string nsp = "/";
  std::vector<std::string> rooms;
  std::vector<std::string> except;
  std::vector<Frame> frames;  // the text frame, then one binary frame per attachment
  bool is_volatile = false;   // dropped for a socket whose transport is congested
  // A gateway control event (`pulseboard:*`): delivered to a hidden dashboard too.
  bool control = false;
  // Connection state recovery offset (the packet's last argument) of a recorded bridge
  // message; empty: not recoverable (recovery_store.hpp).
  std::string offset;
};

}  // namespace pulseboard::socketio
