#include "cluster/sharded_codec.hpp"

#include "cluster/codec_fields.hpp"

namespace pulseboard::cluster::sharded {

namespace json = boost::json;
using namespace fields;

namespace {

using T = MessageType;

// The types ClusterAdapter's encode() checks with hasBinary() before choosing msgpack.
bool may_carry_binary(MessageType t) {
  return t == T::broadcast || t == T::broadcast_ack || t == T::fetch_sockets_response ||
         t == T::server_side_emit || t == T::server_side_emit_response;
}

// `data` in the key order the Node adapter builds it, so JSON.stringify's output is matched.
std::optional<json::object> encode_data(const Message& m) {
  json::object d;
  auto opts = [&] {
    d["opts"] = encode_opts(m.opts.value_or(BroadcastOptions{}), OptsOrder::adapter);
  };
  auto request_id = [&] {
    if (m.request_id) d["requestId"] = *m.request_id;
  };
  auto packet = [&] { d["packet"] = m.packet.value_or(json::value(nullptr)); };
  switch (m.type) {
    case T::initial_heartbeat:
    case T::heartbeat:
    case T::adapter_close:
      return std::nullopt;
    case T::broadcast:
      packet();
      request_id();
      opts();
      break;
    case T::sockets_join:
    case T::sockets_leave:
      opts();
      d["rooms"] = string_array(m.rooms);
      break;
    case T::disconnect_sockets:
      opts();
      d["close"] = m.close.value_or(false);
      break;
    case T::fetch_sockets:
      opts();
      request_id();
      break;
    case T::fetch_sockets_response:
      request_id();
      d["sockets"] = m.sockets.value_or(json::array{});
      break;
    case T::server_side_emit:
    case T::server_side_emit_response:
    case T::broadcast_ack:
      request_id();
      packet();
      break;
    case T::broadcast_client_count:
      request_id();
      d["clientCount"] = m.client_count.value_or(0);
      break;
  }
  return d;
}

bool has_request_id(const Message& m) {
  return m.request_id.has_value();
}

// What each type needs in `data` before a receiver may act on it; Node would throw on less.
bool valid_data(const Message& m) {
  switch (m.type) {
    case T::initial_heartbeat:
    case T::heartbeat:
    case T::adapter_close:
      return true;
    case T::broadcast:
      return m.opts && m.packet && m.packet->is_object();
    case T::sockets_join:
    case T::sockets_leave:
      return m.opts.has_value();
    case T::disconnect_sockets:
      return m.opts.has_value();
    case T::fetch_sockets:
      return m.opts && has_request_id(m);
    case T::fetch_sockets_response:
      return has_request_id(m) && m.sockets && m.sockets->is_array();
    case T::server_side_emit:
      return m.packet && m.packet->is_array();
    case T::server_side_emit_response:
    case T::broadcast_ack:
      return has_request_id(m);
    case T::broadcast_client_count:
      return has_request_id(m) && m.client_count.has_value();
  }
  return false;
}

}  // namespace

namespace {
std::string encode_as(const Message& m, const Limits& limits, Bound* crossed, bool msgpack) {
  json::object o;
  o["type"] = static_cast<int>(m.type);
  if (auto data = encode_data(m)) o["data"] = std::move(*data);
  o["uid"] = m.uid;
  o["nsp"] = m.nsp;
  Check check{limits};
  std::string bytes = msgpack ? msgpack_within(o, m.attachments, check)
                              // doubles as JSON.stringify writes them: 1.5, not 1.5E0
                              : json_within(o, check);
  if (crossed) *crossed = check.crossed;
  return bytes;
}
}  // namespace

std::string encode(const Message& m, const Limits& limits, Bound* crossed) {
  return encode_as(m, limits, crossed, may_carry_binary(m.type) && !m.attachments.empty());
}

std::string encode_msgpack(const Message& m, const Limits& limits, Bound* crossed) {
  return encode_as(m, limits, crossed, true);
}

namespace {

void decode_object(json::object& o, std::vector<std::string>& attachments, Check& check,
                   Decoded& out) {
  auto type = read_uint(o.if_contains("type"));
  auto uid = read_id(o, "uid", check);
  auto nsp = read_id(o, "nsp", check);
  if (!type || !uid || !nsp) {
    out.error = DecodeError::bad_envelope;
    return;
  }
  if (*type < static_cast<std::uint64_t>(T::initial_heartbeat) ||
      *type > static_cast<std::uint64_t>(T::adapter_close)) {
    out.error = DecodeError::unknown_type;
    return;
  }
  Message m;
  m.type = static_cast<MessageType>(*type);
  m.uid = std::move(*uid);
  m.nsp = std::move(*nsp);
  out.error = DecodeError::bad_data;
  if (auto* data = o.if_contains("data")) {
    if (!data->is_object()) return;
    auto& d = data->get_object();
    if (d.contains("requestId")) {
      m.request_id = read_id(d, "requestId", check);
      if (!m.request_id) return;
    }
    if (auto* opts = d.if_contains("opts")) {
      m.opts = decode_opts(opts, check);
      if (!m.opts) return;
    }
    if (auto* rooms = d.if_contains("rooms")) {
      auto r = read_strings(rooms, check);
      if (!r) return;
      m.rooms = std::move(*r);
    }
    if (auto* close = d.if_contains("close"); close && close->is_bool())
      m.close = close->get_bool();
    if (auto* packet = d.if_contains("packet")) m.packet = *packet;
    if (auto* sockets = d.if_contains("sockets")) m.sockets = *sockets;
    m.client_count = read_uint(d.if_contains("clientCount"));
  }
  m.attachments = std::move(attachments);
  if (!valid_data(m)) return;
  out.message = std::move(m);
}

void decode_within(std::string_view bytes, Check& check, Decoded& out) {
  std::vector<std::string> attachments;
  auto v = parse_json_or_msgpack(bytes, attachments, check);
  if (!v || !v->is_object()) return;
  decode_object(v->get_object(), attachments, check, out);
}

Decoded finish(Decoded out, const Check& check) {
  if (!check.ok()) {
    out.message.reset();
    out.error = DecodeError::over_limit;
    out.crossed = check.crossed;
  }
  return out;
}

}  // namespace

Decoded decode(std::string_view bytes, const Limits& limits) {
  Decoded out;
  Check check{limits};
  decode_within(bytes, check, out);
  return finish(std::move(out), check);
}

Decoded decode_parsed(boost::json::object envelope, std::vector<std::string> attachments,
                      const Limits& limits) {
  Decoded out;
  Check check{limits};
  decode_object(envelope, attachments, check, out);
  return finish(std::move(out), check);
}

std::optional<SubscriptionMode> parse_subscription_mode(std::string_view text) {
  if (text == "dynamic") return SubscriptionMode::dynamic;
  if (text == "dynamic-private") return SubscriptionMode::dynamic_private;
  if (text == "static") return SubscriptionMode::static_channels;
  return std::nullopt;
}

std::string_view to_string(SubscriptionMode mode) {
  switch (mode) {
    case SubscriptionMode::dynamic:
      return "dynamic";
    case SubscriptionMode::dynamic_private:
      return "dynamic-private";
    case SubscriptionMode::static_channels:
      return "static";
  }
  return "dynamic";
}

std::string namespace_channel(std::string_view prefix, std::string_view nsp) {
  std::string c;
  c.reserve(prefix.size() + nsp.size() + 2);
  c.append(prefix).append("#").append(nsp).append("#");
  return c;
}

std::string room_channel(std::string_view prefix, std::string_view nsp, std::string_view room) {
  auto c = namespace_channel(prefix, nsp);
  c.append(room).append("#");
  return c;
}

// JavaScript measures UTF-16 code units; room names that matter here (ids) are ASCII.
bool looks_like_socket_id(std::string_view room) {
  return room.size() == 20;
}

std::string publish_channel(std::string_view prefix, const Message& m, SubscriptionMode mode) {
  bool one_room = m.type == T::broadcast && !m.request_id && m.opts && m.opts->rooms.size() == 1;
  bool own_channel =
      one_room && ((mode == SubscriptionMode::dynamic && !looks_like_socket_id(m.opts->rooms[0])) ||
                   mode == SubscriptionMode::dynamic_private);
  if (own_channel) return room_channel(prefix, m.nsp, m.opts->rooms[0]);
  return namespace_channel(prefix, m.nsp);
}

}  // namespace pulseboard::cluster::sharded
