#include "engineio/packet.hpp"

#include "common/base64.hpp"

namespace pulseboard::eio {
namespace {

constexpr char kBinaryMarker = 'b';

std::optional<PacketType> type_from_char(char c) {
  if (c < '0' || c > '6') return std::nullopt;
  return static_cast<PacketType>(c - '0');
}

char type_char(PacketType type) {
  return static_cast<char>('0' + static_cast<int>(type));
}

}  // namespace

std::optional<Packet> decode_text(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.front() == kBinaryMarker) {
    auto bytes = base64_decode(text.substr(1));
    if (!bytes) return std::nullopt;
    return Packet{PacketType::message, std::move(*bytes), true};
  }
  auto type = type_from_char(text.front());
  if (!type) return std::nullopt;
  return Packet{*type, std::string(text.substr(1)), false};
}

Packet from_binary(std::string_view bytes) {
  return Packet{PacketType::message, std::string(bytes), true};
}

std::string encode_text(PacketType type, std::string_view data) {
  std::string out;
  out.reserve(1 + data.size());
  out += type_char(type);
  out += data;
  return out;
}

std::optional<std::vector<Packet>> decode_payload(std::string_view body) {
  std::vector<Packet> packets;
  for (;;) {
    const auto end = body.find(kRecordSeparator);
    auto packet = decode_text(body.substr(0, end));
    if (!packet) return std::nullopt;
    packets.push_back(std::move(*packet));
    if (end == std::string_view::npos) return packets;
    body.remove_prefix(end + 1);
  }
}

void append_to_payload(std::string& body, const Packet& packet) {
  if (!body.empty()) body += kRecordSeparator;
  if (packet.binary) {
    body += kBinaryMarker;
    body += base64_encode(packet.data);
  } else {
    body += type_char(packet.type);
    body += packet.data;
  }
}

}  // namespace pulseboard::eio
