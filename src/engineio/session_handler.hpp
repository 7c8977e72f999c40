#pragma once
// How an Engine.IO session calls up into the protocol it carries (the Socket.IO client of the
// connection). The session owns its handler; every call comes on the session's loop.
#include <string_view>

#include "engineio/close_reason.hpp"

namespace pulseboard::eio {

class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  // The OPEN packet is queued and the heartbeat runs.
  virtual void on_open() = 0;
  // The payload of a message packet. False: a protocol error, and the session closes with
  // CloseReason::parse_error.
  virtual bool on_message(std::string_view text) = 0;
  virtual bool on_binary_message(std::string_view bytes) = 0;
  // A ping went out (once per ping interval while the session is open).
  virtual void on_heartbeat() = 0;
  // The session closed; runs on a later loop turn than close(), after every caller returned.
  virtual void on_close(CloseReason reason) = 0;
};

}  // namespace pulseboard::eio
