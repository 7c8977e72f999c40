#pragma once
// RFC 6455 §5.2 framing for what a server sends: one unfragmented, unmasked frame per message.
// The gateway frames its messages itself, rather than through Boost.Beast's stream, so that all
// frames queued for one socket leave in one gathered write (docs/gateway.md, "Write path").
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pulseboard::websocket {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close codes the gateway sends or checks (RFC 6455 §7.4.1).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t no_status = 1005;  // never on the wire: "the frame had no code"
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
}  // namespace close_code

inline constexpr std::size_t kMaxHeaderSize = 10;
using HeaderBytes = std::array<char, kMaxHeaderSize>;

// Writes the header of a final, unmasked frame carrying `payload_size` bytes; returns its size
// (2, 4 or 10 bytes). `compressed`: RSV1, a permessage-deflate message (RFC 7692 §6).
inline std::size_t write_header(Opcode opcode, std::size_t payload_size, HeaderBytes& out,
                                bool compressed = false) {
  out[0] = static_cast<char>(0x80 | (compressed ? 0x40 : 0) | static_cast<std::uint8_t>(opcode));
  if (payload_size < 126) {
    out[1] = static_cast<char>(payload_size);
    return 2;
  }
  if (payload_size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<char>(payload_size >> 8);
    out[3] = static_cast<char>(payload_size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<char>(static_cast<std::uint64_t>(payload_size) >> (56 - 8 * i));
  return 10;
}

// The payload of a close frame: the code, then at most 123 bytes of reason (a control frame
// carries at most 125 bytes). The reason is cut on a UTF-8 character boundary.
std::string close_payload(std::uint16_t code, std::string_view reason);

// A whole control frame (close, ping or pong) with its header, ready to write.
std::string control_frame(Opcode opcode, std::string_view payload);

}  // namespace pulseboard::websocket
