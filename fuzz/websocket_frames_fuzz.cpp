// WebSocket client frames from arbitrary bytes: the parser must not crash, must buffer no more
// than one frame's worth, must deliver only valid UTF-8 as text, and must find the same
// messages and the same error whether the bytes arrive at once or in pieces (a socket splits
// them anywhere). With permessage-deflate agreed (the first byte's high bit), compressed
// messages must inflate to no more than the limit either way.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/utf8.hpp"
#include "websocket/frame_parser.hpp"

namespace ws = pulseboard::websocket;

namespace {

constexpr std::size_t kMaxMessage = 4096;

struct Recorder : ws::FrameEvents {
  std::vector<std::string> events;
  void on_message(bool text, std::string_view payload) override {
    if (text && !pulseboard::is_valid_utf8(payload)) std::abort();
    if (payload.size() > kMaxMessage) std::abort();
    events.push_back((text ? "t" : "b") + std::string(payload));
  }
  void on_ping(std::string_view payload) override {
    if (payload.size() > 125) std::abort();
    events.push_back("p" + std::string(payload));
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back("c" + std::to_string(code) + std::string(reason));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the piece size for the split run.
  const std::size_t piece = 1 + bytes[0] % 17;
  std::string input(reinterpret_cast<const char*>(bytes) + 1, size - 1);

  std::string whole_copy = input;
  const bool deflate = bytes[0] & 0x80;
  const bool no_context = bytes[0] & 0x40;
  ws::FrameParser whole(kMaxMessage);
  if (deflate) whole.enable_inflate(15, no_context);
  Recorder whole_events;
  const ws::FrameError whole_error =
      whole.feed(std::span<char>(whole_copy.data(), whole_copy.size()), whole_events);

  ws::FrameParser split(kMaxMessage);
  if (deflate) split.enable_inflate(15, no_context);
  Recorder split_events;
  ws::FrameError split_error = ws::FrameError::none;
  for (std::size_t at = 0; at < input.size(); at += piece) {
    std::string chunk = input.substr(at, piece);
    split_error = split.feed(std::span<char>(chunk.data(), chunk.size()), split_events);
    // An incomplete frame (header, key, at most kMaxMessage of payload) plus a fragmented
    // message's data is all it may hold.
    if (split.buffered() > 2 * kMaxMessage + 14) std::abort();
    if (split_error != ws::FrameError::none || split.closed()) break;
  }

  if (whole_error != split_error) std::abort();
  if (whole_events.events != split_events.events) std::abort();
  return 0;
}
