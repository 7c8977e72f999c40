#pragma once
// UTF-8 validation for WebSocket text messages (RFC 6455 §8.1: a text message that is not valid
// UTF-8 fails the connection with 1007). Boost.Beast has a checker, but only in its detail
// namespace; this is the usual table-free check of RFC 3629's well-formed sequences.
#include <string_view>

namespace pulseboard::websocket {

bool is_valid_utf8(std::string_view bytes);

}  // namespace pulseboard::websocket
