#include "engineio/close_reason.hpp"

namespace pulseboard::eio {

std::string_view to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::transport_close:
      return "transport close";
    case CloseReason::transport_error:
      return "transport error";
    case CloseReason::ping_timeout:
      return "ping timeout";
    case CloseReason::parse_error:
      return "parse error";
    case CloseReason::send_queue_overflow:
      return "send queue overflow";
    case CloseReason::upgrade_timeout:
      return "upgrade timeout";
    case CloseReason::server_shutting_down:
      return "server shutting down";
    case CloseReason::forced_server_close:
      return "forced server close";
    case CloseReason::connect_timeout:
      return "connect timeout";
    case CloseReason::namespace_too_long:
      return "namespace too long";
    case CloseReason::connect_attempts:
      return "too many connect attempts";
    case CloseReason::connect_rate:
      return "too many connects";
  }
  return "unknown";
}

}  // namespace pulseboard::eio
