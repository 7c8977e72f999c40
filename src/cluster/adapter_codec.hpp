#pragma once
// The wire format of the classic `@socket.io/redis-adapter` 8.3.0 and of `@socket.io/redis-emitter`
// 5.1.0 (docs/protocol-reference.md, Classic adapter and Emitter), so that Pulseboard gateways,
// Node Socket.IO servers and emitters can share one Redis. Pure encoding: no I/O here.
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/limits.hpp"

namespace pulseboard::cluster {

inline constexpr std::string_view kDefaultKey = "socket.io";
inline constexpr std::string_view kEmitterUid = "emitter";

struct BroadcastOptions {
  std::vector<std::string> rooms, except;  // numeric room names arrive as their decimal text
  bool is_volatile = false;
  std::optional<bool> compress;  // absent: not set by the sender (delivery compresses)
  std::optional<std::uint64_t> timeout_ms;
  bool operator==(const BroadcastOptions&) const = default;
};

// A Socket.IO packet as the adapter forwards it: `data` is [event, ...args] in which binary
// arguments are placeholders {"_placeholder":true,"num":N} indexing `attachments`.
struct Packet {
  int type = 2;  // EVENT, also for binary payloads; receivers re-encode locally
  std::string nsp = "/";
  boost::json::value data;
  std::vector<std::string> attachments;
  std::optional<std::uint64_t> id;  // ack id
  bool operator==(const Packet&) const = default;
};

struct BroadcastMessage {
  std::string uid;
  std::string nsp = "/";
  boost::json::value data;
  std::vector<std::string> attachments;
  std::optional<std::uint64_t> ack_id;
  BroadcastOptions opts;
  bool operator==(const BroadcastMessage&) const = default;
};

// Every encoder and decoder below works within `limits` (limits.hpp). When it refuses a message,
// `crossed` (if given) says which bound it crossed, Bound::none when the message is malformed
// instead; it is set to Bound::none on success too.
//
// msgpack `[uid, {type:2,data,nsp[,id]}, {rooms,except,flags}]`, byte-identical to notepack.io.
// With uid "emitter" the options are written in the emitter's order {rooms,flags,except}.
// Empty if `data` nests deeper than msgpack::kMaxDepth, names a missing attachment, or would
// encode (attachments expanded) past limits.max_encoded_bytes; the size is known before any
// of it is allocated.
std::string encode_broadcast(const BroadcastMessage& message, const Limits& limits = {},
                             Bound* crossed = nullptr);
// nullopt on malformed input or past a bound. A missing packet.nsp means "/".
std::optional<BroadcastMessage> decode_broadcast(std::string_view bytes, const Limits& limits = {},
                                                 Bound* crossed = nullptr);

// Channels, for key `prefix` (default "socket.io") and namespace `nsp`.
// Broadcasts: `<prefix>#<nsp>#`, or `<prefix>#<nsp>#<room>#` when there is exactly one room.
std::string broadcast_channel(std::string_view prefix, std::string_view nsp,
                              const std::vector<std::string>& rooms);
std::string broadcast_pattern(std::string_view prefix, std::string_view nsp);  // ...#*
std::string request_channel(std::string_view prefix, std::string_view nsp);
// The shared response channel, or the requester's own when `uid` is not empty.
std::string response_channel(std::string_view prefix, std::string_view nsp,
                             std::string_view uid = {});
// For a channel matched by broadcast_pattern: "" for the all-rooms channel, else the room.
// nullopt when the channel is not a broadcast channel of this prefix and namespace.
std::optional<std::string> broadcast_room(std::string_view prefix, std::string_view nsp,
                                          std::string_view channel);

enum class RequestType {
  sockets = 0,
  all_rooms = 1,
  remote_join = 2,
  remote_leave = 3,
  remote_disconnect = 4,
  remote_fetch = 5,
  server_side_emit = 6,
  broadcast = 7,
  broadcast_client_count = 8,
  broadcast_ack = 9,
};

// A request on `<prefix>-request#<nsp>#`. JSON, except BROADCAST (with ack), which is msgpack.
struct Request {
  RequestType type = RequestType::all_rooms;
  std::optional<std::string> uid;          // absent in emitter join/leave/disconnect
  std::optional<std::string> request_id;   // for requests that expect responses
  std::optional<BroadcastOptions> opts;    // which sockets (2, 3, 4, 5, 7)
  std::vector<std::string> rooms;          // 0: filter; 2, 3: rooms to join or leave
  std::optional<bool> close;               // 4
  std::optional<boost::json::value> data;  // 6: [event, ...args]
  std::optional<Packet> packet;            // 7
  std::optional<std::string> sid, room;    // legacy single-socket forms of 2, 3, 4
  bool operator==(const Request&) const = default;
};

std::string encode_request(const Request& request, const Limits& limits = {},
                           Bound* crossed = nullptr);
// nullopt on malformed input, an unknown type or past a bound. JSON is recognised by a
// leading '{'.
std::optional<Request> decode_request(std::string_view bytes, const Limits& limits = {},
                                      Bound* crossed = nullptr);

// A response on `<prefix>-response#<nsp>#[<uid>#]`. JSON, except BROADCAST_ACK, which is
// msgpack. Fields are present as the request type needs them.
struct Response {
  std::optional<RequestType> type;  // only for 6, 8 and 9
  std::string request_id;
  std::optional<std::vector<std::string>> rooms;  // ALL_ROOMS
  std::optional<boost::json::value> sockets;      // SOCKETS: ids; REMOTE_FETCH: socket details
  std::optional<boost::json::value> data;         // SERVER_SIDE_EMIT: the first ack argument
  std::optional<std::uint64_t> client_count;      // BROADCAST_CLIENT_COUNT
  std::optional<boost::json::value> packet;       // BROADCAST_ACK: the first ack argument
  std::vector<std::string> attachments;           // binary parts of `packet`
  bool operator==(const Response&) const = default;
};

// Empty past limits.max_encoded_bytes: a BROADCAST_ACK carries a client's ack, whose
// placeholders may all name one large attachment.
std::string encode_response(const Response& response, const Limits& limits = {},
                            Bound* crossed = nullptr);
// The `rooms` of an ALL_ROOMS answer are a server's whole room list: only the message size and
// the room name length bound it, not max_rooms.
std::optional<Response> decode_response(std::string_view bytes, const Limits& limits = {},
                                        Bound* crossed = nullptr);

}  // namespace pulseboard::cluster
