#pragma once
// Session and socket identifiers shaped like the Node server's: 20 characters of URL-safe base64
// over 15 random bytes. The sharded Redis adapter treats any 20-character room name as a socket id,
// so the shape is part of the wire contract (docs/protocol-reference.md, Engine.IO endpoint and
// ids).
#include <string>

namespace pulseboard {

std::string random_id20();
// n random characters of the URL-safe base64 alphabet (uids for the cluster adapter).
std::string random_token(std::size_t n);

}  // namespace pulseboard
