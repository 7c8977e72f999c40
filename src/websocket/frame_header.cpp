#include "websocket/frame_header.hpp"

namespace pulseboard::websocket {

std::string close_payload(std::uint16_t code, std::string_view reason) {
  constexpr std::size_t kMaxReason = 123;
  if (reason.size() > kMaxReason) {
    std::size_t cut = kMaxReason;
    // Step back over continuation bytes so a multi-byte character is not split.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  std::string out;
  out.reserve(2 + reason.size());
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out += reason;
  return out;
}

std::string control_frame(Opcode opcode, std::string_view payload) {
  HeaderBytes header;
  const std::size_t n = write_header(opcode, payload.size(), header);
  std::string out(header.data(), n);
  out += payload;
  return out;
}

}  // namespace pulseboard::websocket
