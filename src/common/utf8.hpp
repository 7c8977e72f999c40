#pragma once
// UTF-8 validation: WebSocket text messages (RFC 6455 §8.1: invalid UTF-8 fails the connection
// with 1007) and MessagePack strings from other cluster nodes. Boost.Beast has a checker, but
// only in its detail namespace; this is the usual table-free check of RFC 3629's sequences.
#include <string_view>

namespace pulseboard {

bool is_valid_utf8(std::string_view bytes);

}  // namespace pulseboard
