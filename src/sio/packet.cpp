#include <algorithm>
#include <array>

#include "sio/packet.hpp"

namespace pulseboard::sio {

std::string_view to_string(DecodeError error) {
  switch (error) {
    case DecodeError::none:
      return "none";
    case DecodeError::unknown_type:
      return "unknown packet type";
    case DecodeError::bad_attachment_count:
      return "illegal attachment count";
    case DecodeError::too_many_attachments:
      return "too many attachments";
    case DecodeError::bad_namespace:
      return "invalid namespace";
    case DecodeError::bad_ack_id:
      return "invalid ack id";
    case DecodeError::bad_json:
      return "invalid JSON";
    case DecodeError::bad_payload:
      return "invalid payload";
    case DecodeError::reserved_event_name:
      return "reserved event name";
    case DecodeError::unexpected_binary:
      return "got binary data when not reconstructing a packet";
    case DecodeError::unexpected_text:
      return "got plaintext data when reconstructing a packet";
    case DecodeError::illegal_attachments:
      return "illegal attachments";
  }
  return "unknown error";
}

bool is_reserved_event_name(std::string_view name) {
  static constexpr std::array<std::string_view, 6> kReserved = {
      "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};
  return std::find(kReserved.begin(), kReserved.end(), name) != kReserved.end();
}

}  // namespace pulseboard::sio
