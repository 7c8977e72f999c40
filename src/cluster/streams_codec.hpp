#pragma once
// The wire format of `@socket.io/redis-streams-adapter` 0.3.1 (docs/protocol-reference.md, Streams
// adapter), so Pulseboard gateways and Node.js Socket.IO servers on that adapter share one Redis
// and one connection state recovery. Pure encoding: no I/O here.
//
// The adapter speaks socket.io-adapter's ClusterAdapter messages (sharded_codec.hpp), carried
// two ways:
//  - durable ones (BROADCAST without ack, SOCKETS_JOIN, SOCKETS_LEAVE, DISCONNECT_SOCKETS) as
//    entries of a Redis Stream, `XADD <stream> MAXLEN ~ <n> * uid <uid> nsp <nsp> type "<n>"
//    data <JSON, or base64 of msgpack when it carries binary>`; the entry id is the offset of
//    a broadcast for connection state recovery;
//  - ephemeral ones (broadcasts with acks, FETCH_SOCKETS, SERVER_SIDE_EMIT and every response)
//    over Pub/Sub as msgpack of the whole message (sharded::encode_msgpack / sharded::decode).
// Sessions kept for recovery: `SET <prefix><pid> base64(msgpack({sid, pid, rooms, data}))`.
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/limits.hpp"
#include "cluster/sharded_codec.hpp"

namespace pulseboard::cluster::streams {

inline constexpr std::string_view kDefaultStream = "socket.io";
inline constexpr std::string_view kDefaultSessionPrefix = "sio:session:";
inline constexpr std::size_t kDefaultMaxLen = 10000;

// The fields of one stream entry, as XREAD and XRANGE return them (any order, any extras).
struct Entry {
  std::string id;  // `<ms>-<seq>`
  std::vector<std::pair<std::string, std::string>> fields;
};

// The entry as a ClusterAdapter message: `data` read as JSON when it starts with '{', else as
// base64 msgpack (binary values become attachments), within `limits`. An entry without `nsp`
// is not a message (the Node reader skips it too): DecodeError::bad_envelope.
sharded::Decoded decode_entry(const Entry& entry, const Limits& limits = {});

// The fields XADD writes for a BROADCAST without ack of EVENT [event, ...args] to `rooms` of
// `nsp`, as a Node server writes io.to(rooms).emit(event, ...args): `args_json` is the JSON
// text of the arguments, comma-separated without brackets (empty for none).
std::vector<std::pair<std::string, std::string>> broadcast_fields(
    std::string_view uid, std::string_view nsp, const std::vector<std::string>& rooms,
    std::string_view event, std::string_view args_json);

// The stream of namespace `nsp`: `base` with one stream, else `base-<i>` where i is Java's
// String#hashCode of the name (UTF-16 code units, 32-bit wrap) modulo `count` with JavaScript's
// `%` (negative for a negative hash), as the Node adapter computes it.
std::string stream_name(std::string_view base, std::uint32_t count, std::string_view nsp);

// Whether `offset` is an entry id as the Node adapter accepts it: ^[0-9]+-[0-9]+$.
bool is_entry_id(std::string_view offset);
// The smallest id after `id` (same ms, sequence + 1): XRANGE's exclusive start on Redis < 6.2.
std::optional<std::string> next_entry_id(std::string_view id);

// A session as the Node adapter keeps it. `rooms` includes the socket's own id room (a Node
// socket is in it). `data` is the socket's `data`: Pulseboard gateways and the Node peers keep
// the token's subject in `data.sub`.
struct Session {
  std::string sid, pid;
  std::vector<std::string> rooms;
  boost::json::value data;
};
// base64(msgpack({sid, pid, rooms, data})), the value stored under `<prefix><pid>`.
std::string encode_session(const Session& session);
// nullopt when the value is not one (not base64, not msgpack, fields missing or of the wrong
// kind, past `limits`).
std::optional<Session> decode_session(std::string_view value, const Limits& limits = {});

// The Node adapter's shouldIncludePacket: a broadcast to `opts.rooms` (every room when empty)
// except `opts.except` is for a session in `session_rooms`.
bool includes_session(const std::vector<std::string>& session_rooms, const BroadcastOptions& opts);

}  // namespace pulseboard::cluster::streams
