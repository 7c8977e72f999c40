#pragma once
// How a WebSocket transport calls up into the protocol it carries (an Engine.IO session): the
// messages it read, the end of the connection, and the queue of messages to write. The transport
// holds its Events for as long as the connection is bound to it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "websocket/deflate.hpp"

namespace pulseboard::websocket {

class Transport;

// One WebSocket message to send. The buffer is shared: a broadcast is encoded once and every
// recipient's queue holds the same immutable bytes.
struct Message {
  std::shared_ptr<const std::string> data;
  bool binary = false;
  // `data` is a SharedPayload (websocket/deflate.hpp): a socket that agreed to permessage-deflate
  // may send its compressed form, made once for all of them. (Also in the padding.)
  bool deflatable = false;
  // Non-zero: a latest-value-wins message. The layer above may replace it with a newer one
  // carrying the same key while it still waits in its queue; the transport ignores it. (It fits
  // in the padding after `binary`: a queued message costs no more.)
  std::uint32_t conflation_key = 0;
};

// How the connection ended, as the layer above is told: the peer closed it (a close frame, end
// of stream, the close handshake's deadline), or it failed (a write or read error, a protocol
// error, a peer that outran its control replies).
enum class Ending { closed, failed };

class Events {
 public:
  virtual void on_text(Transport& from, std::string_view text) = 0;
  virtual void on_binary(Transport& from, std::string_view bytes) = 0;
  // Once per transport, the first time its connection ends; the transport lets go of its Events.
  virtual void on_closed(Transport& from, Ending how) = 0;
  // What the layer above queued for this transport, oldest first; the transport writes them after
  // its own control frames and then reports how many the socket took.
  virtual std::span<const Message> outbound() = 0;
  virtual void on_written(std::size_t messages) = 0;

 protected:
  ~Events() = default;
};

// What a transport counts; the process maps these to its own metrics.
enum class Counter {
  control_queue_overflow,  // the peer's pings and probes outran the writer: connection failed
  oversized_message,       // a message over the size limit (close 1009)
  invalid_utf8,            // a text message that is not UTF-8 (close 1007)
  protocol_error,          // any other RFC 6455 violation (close 1002)
  pong_coalesced,          // a ping answered by the pong already pending
  deflate_agreed,          // a connection agreed to permessage-deflate (a gauge goes up)
  deflate_ended,           // ... and has ended (the gauge goes down)
  payload_deflated,        // a message compressed (once, whatever the number of recipients)
  inflate_too_big,         // an oversized message that arrived compressed (also oversized_message)
};

class Metrics {
 public:
  virtual void count(Counter counter) = 0;
  // Messages sent compressed: their plain size and what went on the wire instead.
  virtual void deflated_bytes(std::uint64_t plain, std::uint64_t wire) {
    static_cast<void>(plain);
    static_cast<void>(wire);
  }
  // Messages sent in their room's stream form (deflate_stream.hpp).
  virtual void stream_messages_sent(std::uint64_t messages) { static_cast<void>(messages); }

 protected:
  ~Metrics() = default;
};

struct Settings {
  std::uint64_t max_message_bytes = 1'000'000;
  DeflateSettings deflate;
};

}  // namespace pulseboard::websocket
