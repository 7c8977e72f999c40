#pragma once
// Socket.IO v5 packets (docs/protocol-reference.md, Socket.IO packets): the text form
//   <type>[<attachments>-][<nsp>,][<ackId>][<JSON payload>]
// carried as one Engine.IO message, followed by <attachments> Engine.IO binary messages. Pure
// codec: no I/O. Rejections: docs/protocol.md, which also says how the server reacts.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pulseboard::sio {

enum class PacketType : std::uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6
};

struct Packet {
  PacketType type = PacketType::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> id;         // ack id
  std::optional<boost::json::value> data;  // binary values stay as {"_placeholder":true,"num":N}
  std::vector<std::string> attachments;    // raw bytes of attachment N at index N
};

enum class DecodeError {
  none,
  unknown_type,
  bad_attachment_count,
  too_many_attachments,
  bad_namespace,
  bad_ack_id,
  bad_json,
  bad_payload,
  reserved_event_name,
  unexpected_binary,
  unexpected_text,
  illegal_attachments
};
std::string_view to_string(DecodeError);

// Stateful: a BINARY_EVENT/BINARY_ACK waits for its attachments (Engine.IO binary messages).
// After Status::error the decoder is back in its initial state; the server closes the
// Engine.IO connection anyway ("parse error").
class Decoder {
 public:
  explicit Decoder(std::size_t max_attachments = 10);
  enum class Status { packet, need_more, error };
  Status add_text(std::string_view text);     // one Engine.IO message payload (no leading '4')
  Status add_binary(std::string_view bytes);  // one Engine.IO binary message
  Packet take();                              // the packet after Status::packet
  DecodeError error() const { return error_; }
  bool awaiting_attachments() const { return expected_attachments_ > 0; }

 private:
  Status fail(DecodeError error);
  Status complete();
  DecodeError read_attachment_count(std::string_view text, std::size_t& pos,
                                    std::size_t& count) const;

  std::size_t max_attachments_;
  std::size_t expected_attachments_ = 0;  // of the packet being reconstructed; 0 when idle
  Packet packet_;
  DecodeError error_ = DecodeError::none;
};

// Text part of a packet, ready to be an Engine.IO message payload (no leading '4').
// EVENT/ACK with non-empty attachments are written as BINARY_EVENT/BINARY_ACK "<n>-".
// Precondition: nsp starts with '/'.
std::string encode(const Packet& packet);
// Fast path for broadcasts (no DOM): `2["<event>",<args_json>]` with `/nsp,` when nsp != "/".
// event is escaped as a JSON string; args_json is zero or more already-serialized JSON values
// separated by commas (may be empty).
std::string encode_event(std::string_view nsp, std::string_view event, std::string_view args_json,
                         std::optional<std::uint64_t> ack_id = std::nullopt);
// connect, connect_error, disconnect, disconnecting, newListener, removeListener.
bool is_reserved_event_name(std::string_view name);

}  // namespace pulseboard::sio
