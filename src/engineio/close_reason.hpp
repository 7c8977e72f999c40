#pragma once
// Why an Engine.IO session (or one of its transports) ends. The text is what engine.io calls the
// same reason: it goes into the WebSocket close frame and the logs, and the Socket.IO layer
// decides from the value whether the client may recover its sockets.
#include <string_view>

namespace pulseboard::eio {

enum class CloseReason {
  transport_close,       // the peer closed the connection, or sent a CLOSE packet
  transport_error,       // the connection failed, or the peer broke the transport's rules
  ping_timeout,          // no pong within the ping timeout
  parse_error,           // a packet that does not decode
  send_queue_overflow,   // the client does not read fast enough (docs/gateway.md)
  upgrade_timeout,       // a probing WebSocket did not complete the upgrade in time
  server_shutting_down,  // the gateway drains (SIGTERM)
  forced_server_close,   // another node asked for the session's end (disconnectSockets(true))
  connect_timeout,       // no Socket.IO CONNECT within the connect timeout
  namespace_too_long,    // a CONNECT's namespace over its bound
  connect_attempts,      // too many refused CONNECTs, or their replies outgrew their bound
  connect_rate,          // CONNECTs faster than the session's rate
};

std::string_view to_string(CloseReason reason);

}  // namespace pulseboard::eio
