// The Socket.IO v5 packet encoder (socket.io-parser's Encoder.encodeAsString) and the broadcast
// fast path that writes an EVENT without building a JSON document.
#include <array>
#include <charconv>

#include "common/json_text.hpp"
#include "sio/packet.hpp"

namespace pulseboard::sio {
namespace {

void append_decimal(std::string& out, std::uint64_t value) {
  std::array<char, 20> digits;
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), result.ptr);
}

void append_namespace_and_id(std::string& out, std::string_view nsp,
                             std::optional<std::uint64_t> id) {
  if (!nsp.empty() && nsp != "/") {
    out += nsp;
    out += ',';
  }
  if (id) append_decimal(out, *id);
}

}  // namespace

std::string encode(const Packet& packet) {
  PacketType type = packet.type;
  if (!packet.attachments.empty()) {
    if (type == PacketType::event) type = PacketType::binary_event;
    if (type == PacketType::ack) type = PacketType::binary_ack;
  }
  std::string out;
  out += static_cast<char>('0' + static_cast<int>(type));
  if (type == PacketType::binary_event || type == PacketType::binary_ack) {
    append_decimal(out, packet.attachments.size());
    out += '-';
  }
  append_namespace_and_id(out, packet.nsp, packet.id);
  if (packet.data) append_json_text(out, *packet.data);
  return out;
}

std::string encode_event(std::string_view nsp, std::string_view event, std::string_view args_json,
                         std::optional<std::uint64_t> ack_id) {
  // Boost.JSON escapes exactly as JSON.stringify does: `"`, `\`, and control characters.
  const std::string name = boost::json::serialize(boost::json::string_view(event));
  std::string out;
  out.reserve(1 + nsp.size() + 1 + 20 + 1 + name.size() + 1 + args_json.size() + 1);
  out += '2';
  append_namespace_and_id(out, nsp, ack_id);
  out += '[';
  out += name;
  if (!args_json.empty()) {
    out += ',';
    out += args_json;
  }
  out += ']';
  return out;
}

}  // namespace pulseboard::sio
