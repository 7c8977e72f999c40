#include "engineio/request_check.hpp"

namespace pulseboard::eio {

Refusal check_request(const RequestFacts& r) {
  bool polling = r.transport == "polling" && r.polling_enabled;
  if (!polling && r.transport != "websocket") return Refusal::unknown_transport;
  if (r.has_sid) {
    if (!r.session_known) return Refusal::unknown_sid;
    // No session can be continued by a WebSocket request without Upgrade: a polling one is a
    // mismatch, a WebSocket one already has its connection. (A polling request on a session
    // upgraded since is the same mismatch; only the session knows that, so it answers it.)
    if (r.transport == "websocket" && !r.upgrade) return Refusal::transport_mismatch;
    // The session speaks v4: engine.io's PROTOCOL_MISMATCH, not "unsupported version".
    if (r.eio != "4") return Refusal::protocol_mismatch;
  } else {
    if (!r.get) return Refusal::bad_handshake_method;
    if (r.transport == "websocket" && !r.upgrade) return Refusal::websocket_without_upgrade;
    if (r.eio != "4") return Refusal::unsupported_protocol_version;
  }
  // engine.io completes this WebSocket handshake and closes it at once; refusing before the
  // 101 tells the client the same thing sooner.
  if (r.upgrade && r.transport != "websocket") return Refusal::upgrade_to_polling;
  return Refusal::none;
}

HttpError http_error_of(Refusal r) {
  switch (r) {
    case Refusal::unknown_transport:
      return HttpError::unknown_transport;
    case Refusal::unknown_sid:
      return HttpError::unknown_sid;
    case Refusal::bad_handshake_method:
      return HttpError::bad_handshake_method;
    case Refusal::unsupported_protocol_version:
      return HttpError::unsupported_protocol_version;
    case Refusal::none:
    case Refusal::transport_mismatch:
    case Refusal::protocol_mismatch:
    case Refusal::websocket_without_upgrade:
    case Refusal::upgrade_to_polling:
      break;
  }
  return HttpError::bad_request;
}

}  // namespace pulseboard::eio
