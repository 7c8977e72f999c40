#pragma once
// Engine.IO v4 packets (docs/protocol-reference.md, Engine.IO packets and Engine.IO long-polling):
// the text form of one packet, the polling payload that joins several with 0x1E, and the fixed JSON
// bodies of the handshake and of HTTP errors. Pure functions: no I/O, no session state.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pulseboard::eio {

enum class PacketType : std::uint8_t {
  open = 0,
  close = 1,
  ping = 2,
  pong = 3,
  message = 4,
  upgrade = 5,
  noop = 6
};

struct Packet {
  PacketType type = PacketType::message;
  std::string data;     // text after the type digit, or the raw bytes when binary
  bool binary = false;  // only for message packets

  friend bool operator==(const Packet&, const Packet&) = default;
};

// The separator of packets in a polling payload.
inline constexpr char kRecordSeparator = '\x1e';

// One WebSocket text frame or one text packet of a polling payload: "<type digit><data>".
// nullopt for an empty string or an unknown type digit. As in engine.io-parser, a text packet
// "b<base64>" is a binary message (legacy `b64=1` clients); nullopt if the base64 is bad.
std::optional<Packet> decode_text(std::string_view text);
// A WebSocket binary frame is always a binary message packet (no type prefix).
Packet from_binary(std::string_view bytes);
// "<digit><data>"
std::string encode_text(PacketType type, std::string_view data);
// Polling payload: packets joined by 0x1E, binary packets written as 'b' + standard base64.
// nullopt if any packet is undecodable (unknown type, bad base64, empty packet); an empty body
// is one empty packet, so it is undecodable too.
std::optional<std::vector<Packet>> decode_payload(std::string_view body);
// Appends one packet to a polling payload, inserting the 0x1E separator when body is non-empty.
// Precondition: a text packet's data holds no 0x1E (Socket.IO text is JSON, which escapes it).
void append_to_payload(std::string& body, const Packet& packet);

// The Engine.IO error body for HTTP errors: {"code":N,"message":"..."}.
enum class HttpError {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5
};
std::string_view http_error_message(HttpError);
std::string http_error_body(HttpError);  // e.g. {"code":1,"message":"Session ID unknown"}

// The OPEN packet JSON (without the leading '0'), keys in the Node server's order:
// {"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..}
// upgrades is ["websocket"] when the session may upgrade (it started on polling), else [].
std::string open_packet_json(std::string_view sid, bool can_upgrade, std::uint32_t ping_interval_ms,
                             std::uint32_t ping_timeout_ms, std::uint64_t max_payload);

}  // namespace pulseboard::eio
