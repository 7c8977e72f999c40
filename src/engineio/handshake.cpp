// The fixed JSON documents of the Engine.IO handshake and HTTP errors (docs/protocol-reference.md,
// Engine.IO handshake and Engine.IO HTTP errors).
#include <boost/json.hpp>

#include "engineio/packet.hpp"

namespace pulseboard::eio {

std::string_view http_error_message(HttpError error) {
  switch (error) {
    case HttpError::unknown_transport:
      return "Transport unknown";
    case HttpError::unknown_sid:
      return "Session ID unknown";
    case HttpError::bad_handshake_method:
      return "Bad handshake method";
    case HttpError::bad_request:
      return "Bad request";
    case HttpError::forbidden:
      return "Forbidden";
    case HttpError::unsupported_protocol_version:
      return "Unsupported protocol version";
  }
  return "Bad request";
}

std::string http_error_body(HttpError error) {
  boost::json::object body;
  body["code"] = static_cast<int>(error);
  body["message"] = http_error_message(error);
  return boost::json::serialize(body);
}

std::string open_packet_json(std::string_view sid, bool can_upgrade, std::uint32_t ping_interval_ms,
                             std::uint32_t ping_timeout_ms, std::uint64_t max_payload) {
  boost::json::object open;
  open["sid"] = sid;
  boost::json::array upgrades;
  if (can_upgrade) upgrades.emplace_back("websocket");
  open["upgrades"] = std::move(upgrades);
  open["pingInterval"] = ping_interval_ms;
  open["pingTimeout"] = ping_timeout_ms;
  open["maxPayload"] = max_payload;
  return boost::json::serialize(open);
}

}  // namespace pulseboard::eio
