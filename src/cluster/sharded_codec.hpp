#pragma once
// The wire format of `@socket.io/redis-adapter` 8.3's sharded adapter (`createShardedAdapter`,
// built on socket.io-adapter's ClusterAdapter; docs/protocol-reference.md, Sharded adapter). Not
// compatible with the classic format (adapter_codec.hpp) or the emitter. Pure encoding: no I/O
// here.
//
// Every message is `{type, data, uid, nsp}`: JSON, or notepack msgpack when a type that may
// carry binary does. Receivers tell them apart by a leading '{'.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/adapter_codec.hpp"
#include "cluster/limits.hpp"

namespace pulseboard::cluster::sharded {

// socket.io-adapter's MessageType. 1, 2 and 13 belong to ClusterAdapterWithHeartbeat, which the
// sharded adapter does not extend; they decode so that they can be ignored by type.
enum class MessageType {
  initial_heartbeat = 1,
  heartbeat = 2,
  broadcast = 3,
  sockets_join = 4,
  sockets_leave = 5,
  disconnect_sockets = 6,
  fetch_sockets = 7,
  fetch_sockets_response = 8,
  server_side_emit = 9,
  server_side_emit_response = 10,
  broadcast_client_count = 11,
  broadcast_ack = 12,
  adapter_close = 13,
};

// Fields of `data` are present as the type needs them (the comments give the types).
struct Message {
  MessageType type = MessageType::broadcast;
  std::string uid;  // the sender's: 16 hex characters
  std::string nsp = "/";
  std::optional<std::string> request_id;  // 3 with ack, 7, 8, 9 with ack, 10, 11, 12
  std::optional<BroadcastOptions> opts;   // 3, 4, 5, 6, 7
  std::vector<std::string> rooms;         // 4, 5: rooms to join or leave
  std::optional<bool> close;              // 6
  // 3: the Socket.IO packet {type, data}; 9: [event, ...args]; 10, 12: the first ack argument.
  // Binary values are placeholders {"_placeholder":true,"num":N} into `attachments`.
  std::optional<boost::json::value> packet;
  std::optional<boost::json::value> sockets;  // 8: [{id, handshake, rooms, data}]
  std::optional<std::uint64_t> client_count;  // 11
  std::vector<std::string> attachments;
  bool operator==(const Message&) const = default;
};

// Byte-identical to the Node adapter for the same message (JSON.stringify key order, or
// notepack). Empty when nesting exceeds msgpack::kMaxDepth, a placeholder names a missing
// attachment, or the encoding (attachments expanded) would exceed limits.max_encoded_bytes,
// which is known before any of it is allocated; `crossed` then says Bound::encoded_bytes.
std::string encode(const Message& message, const Limits& limits = {}, Bound* crossed = nullptr);
// The same message always as msgpack (@msgpack/msgpack), as the streams adapter sends every
// Pub/Sub message, binary or not.
std::string encode_msgpack(const Message& message, const Limits& limits = {},
                           Bound* crossed = nullptr);

enum class DecodeError {
  not_an_object = 1,  // neither a JSON object nor a msgpack map
  bad_envelope,       // type, uid or nsp missing or of the wrong kind
  unknown_type,
  bad_data,    // `data` lacks what its type needs
  over_limit,  // past a bound of limits.hpp: `crossed` says which
};
struct Decoded {
  std::optional<Message> message;
  DecodeError error = DecodeError::not_an_object;  // meaningful when `message` is empty
  Bound crossed = Bound::none;                     // with DecodeError::over_limit
};
Decoded decode(std::string_view bytes, const Limits& limits = {});
// The same checks on a message already parsed into `envelope` {type, uid, nsp, data} (binary
// values as placeholders into `attachments`): the streams adapter's entries arrive as fields,
// not as one document.
Decoded decode_parsed(boost::json::object envelope, std::vector<std::string> attachments,
                      const Limits& limits = {});

// `subscriptionMode`: which rooms get a channel of their own.
enum class SubscriptionMode {
  dynamic,          // every public room (default)
  dynamic_private,  // every room, socket ids included
  static_channels,  // none: only the namespace and response channels
};
std::optional<SubscriptionMode> parse_subscription_mode(std::string_view text);
std::string_view to_string(SubscriptionMode mode);

// `<prefix>#<nsp>#`: broadcasts that need no room channel, and every request.
std::string namespace_channel(std::string_view prefix, std::string_view nsp);
// `<prefix>#<nsp>#<room>#`: broadcasts to that one room. The response channel of a server is
// the same shape with its uid in place of the room.
std::string room_channel(std::string_view prefix, std::string_view nsp, std::string_view room);

// The Node adapter's guess that a room is a socket id: 20 characters long (its ids are).
bool looks_like_socket_id(std::string_view room);

// Where the Node adapter SPUBLISHes `message` (computeChannel): a BROADCAST without ack to
// exactly one room goes to that room's channel in the dynamic modes (in `dynamic` only when
// the room does not look like a socket id); everything else to the namespace channel.
std::string publish_channel(std::string_view prefix, const Message& message, SubscriptionMode mode);

}  // namespace pulseboard::cluster::sharded
