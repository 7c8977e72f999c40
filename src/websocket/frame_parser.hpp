#pragma once
// Incremental parser of the frames a WebSocket client sends (RFC 6455 §5): masked frames,
// fragmented messages with control frames between the fragments, close/ping/pong, the message
// size limit and UTF-8 validation of text. Bytes arrive in whatever pieces the socket delivers.
//
// Hand-written because the gateway reads sockets itself (a shared per-thread buffer instead of a
// buffer per connection, see websocket/transport.hpp); Boost.Beast's parser is internal to its
// stream. It is fuzzed (fuzz/websocket_frames_fuzz.cpp).
//
// Memory: nothing is kept between reads unless a frame or a fragmented message is incomplete;
// a whole frame inside one read is delivered straight from the caller's buffer. With
// permessage-deflate, an inflater too, from the first compressed message on
// (websocket/deflate.hpp).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "websocket/deflate.hpp"

namespace pulseboard::websocket {

class FrameEvents {
 public:
  virtual ~FrameEvents() = default;
  // A complete data message. The view is valid only during the call.
  virtual void on_message(bool text, std::string_view payload) = 0;
  virtual void on_ping(std::string_view payload) = 0;
  // The peer's close frame; code is close_code::no_status when it carried none.
  virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
};

enum class FrameError {
  none,
  protocol_error,    // malformed framing: close with 1002
  too_big,           // a message over the limit: close with 1009
  invalid_utf8,      // a text message or close reason that is not UTF-8: close with 1007
  inflated_too_big,  // a compressed message inflating past the limit: close with 1009
};

class FrameParser {
 public:
  explicit FrameParser(std::size_t max_message_size) : max_message_(max_message_size) {}

  // Parses `bytes` (unmasked in place, hence mutable). Stops at the first error, which is
  // final, or after a close frame; any later input is ignored.
  FrameError feed(std::span<char> bytes, FrameEvents& events);

  // permessage-deflate was agreed: RSV1 on the first frame of a data message marks it
  // compressed, and it is inflated, never past the message size limit, before it is delivered.
  // `no_context_takeover`: the client compresses each message on its own, so the inflater is
  // freed after each one.
  void enable_inflate(int window_bits, bool no_context_takeover) {
    inflate_window_ = window_bits;
    inflate_no_context_ = no_context_takeover;
  }
  // An inflater is held (between compressed messages of a client that keeps its context).
  bool holds_inflater() const { return inflater_ != nullptr; }

  bool closed() const { return closed_; }
  // Bytes held for an incomplete frame or fragmented message.
  std::size_t buffered() const { return pending_.size() + fragments_.size(); }

 private:
  // Parses whole frames from the front of `data`; returns how many bytes it consumed.
  std::size_t parse_frames(char* data, std::size_t size, FrameEvents& events);
  FrameError on_frame(std::uint8_t opcode, bool fin, bool compressed, std::string_view payload,
                      FrameEvents& events);
  FrameError deliver(bool text, bool compressed, std::string_view payload, FrameEvents& events);

  std::size_t max_message_;
  std::string pending_;                 // the start of a frame that has not fully arrived
  std::string fragments_;               // the data of a fragmented message so far
  std::uint8_t fragmented_opcode_ = 0;  // text or binary while a fragmented message is open
  bool fragmented_compressed_ = false;  // its first frame had RSV1
  int inflate_window_ = 0;              // 0: permessage-deflate not agreed
  bool inflate_no_context_ = false;
  std::unique_ptr<Inflater> inflater_;
  FrameError error_ = FrameError::none;
  bool closed_ = false;
};

}  // namespace pulseboard::websocket
