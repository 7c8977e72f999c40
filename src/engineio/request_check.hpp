#pragma once
// Which refusal, if any, a request under the Engine.IO path gets, in the order engine.io checks
// (`Server.verify`, then `handshake`; docs/protocol-reference.md, Engine.IO HTTP errors): a request
// with several faults gets the one Node would report. Pure: the caller looks the session up and
// answers.
#include <string_view>

#include "engineio/packet.hpp"

namespace pulseboard::eio {

struct RequestFacts {
  std::string_view eio;        // the EIO query parameter, "" when absent
  std::string_view transport;  // the transport query parameter, "" when absent
  bool has_sid = false;        // a sid was given ...
  bool session_known = false;  // ... and names a live session
  bool upgrade = false;        // a WebSocket Upgrade request
  bool get = true;             // the method is GET
  bool polling_enabled = true;
};

enum class Refusal {
  none,
  unknown_transport,             // code 0
  unknown_sid,                   // code 1
  transport_mismatch,            // code 3: transport=websocket without Upgrade on a session
  protocol_mismatch,             // code 3: a session's request with an EIO other than 4
  bad_handshake_method,          // code 2
  websocket_without_upgrade,     // code 3: a WebSocket handshake without Upgrade
  unsupported_protocol_version,  // code 5: a handshake with an EIO other than 4
  upgrade_to_polling,            // code 3: an Upgrade request for transport=polling
};

Refusal check_request(const RequestFacts& r);
HttpError http_error_of(Refusal r);  // the code sent for a refusal other than `none`

}  // namespace pulseboard::eio
