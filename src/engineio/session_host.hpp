#pragma once
// What an Engine.IO session needs from the process it runs in: its settings, the counters it
// bumps, the budget for the log lines a client can cause, and who to tell when it ends. One per
// process, outliving every session.
#include <chrono>
#include <cstdint>
#include <string>

#include "common/refusal_log.hpp"

namespace pulseboard::eio {

class Session;

// Engine.IO settings, with engine.io's defaults (docs/protocol-reference.md, Engine.IO
// handshake).
struct Settings {
  std::chrono::milliseconds ping_interval{25000};
  std::chrono::milliseconds ping_timeout{20000};
  std::chrono::milliseconds upgrade_timeout{10000};
  std::uint64_t max_payload = 1'000'000;  // maxHttpBufferSize
  // Send queue per session: past either bound the client is disconnected with
  // CloseReason::send_queue_overflow (docs/gateway.md). A healthy client drains in milliseconds.
  std::size_t max_queued_frames = 4096;
  std::size_t max_queued_bytes = 8 * 1024 * 1024;
};

enum class Counter {
  session_opened,       // a session was created
  session_closed,       // a session was destroyed
  frame_queued,         // a frame entered a send queue
  frame_conflated,      // a latest-value frame replaced the one with its key still queued
  upgraded,             // a polling session moved to its WebSocket
  send_queue_overflow,  // a session closed for not reading
  ping_timeout,         // a session closed for not answering pings
  packet_invalid,       // an Engine.IO packet that does not decode, or is not the client's
  message_refused,      // the handler refused a message (a Socket.IO protocol error)
  transport_mismatch,   // a polling request for a session on its WebSocket
  bad_request,          // an overlapping GET, a binary POST body
};

class SessionHost {
 public:
  virtual const Settings& settings() const = 0;
  virtual void count(Counter counter) = 0;
  virtual RefusalLog& refusal_log() = 0;
  // The session finished closing: its sid must no longer find it.
  virtual void on_finished(const Session& session) = 0;
  // The session is destroyed; `address` is what it was admitted for (empty: not counted).
  virtual void on_destroyed(const std::string& address) = 0;

 protected:
  ~SessionHost() = default;
};

}  // namespace pulseboard::eio
