#include "cluster/adapter_codec.hpp"

#include <boost/json/parse.hpp>

#include <limits>

#include "cluster/codec_fields.hpp"

namespace pulseboard::cluster {

namespace json = boost::json;
using namespace fields;

namespace {

json::object encode_packet(int type, std::string_view nsp, const json::value& data,
                           std::optional<std::uint64_t> id) {
  json::object p;
  p["type"] = type;
  p["data"] = data;
  p["nsp"] = nsp;
  if (id) p["id"] = *id;
  return p;
}

std::optional<Packet> decode_packet(const json::value& v, std::vector<std::string> attachments,
                                    Check& check) {
  if (!v.is_object()) return std::nullopt;
  auto& o = v.get_object();
  Packet p;
  auto* type = o.if_contains("type");
  if (!type || !type->is_int64()) return std::nullopt;
  p.type = static_cast<int>(type->get_int64());
  if (auto* nsp = o.if_contains("nsp")) {
    if (!nsp->is_string()) return std::nullopt;
    auto value = read_id(o, "nsp", check);
    if (!value) return std::nullopt;
    p.nsp = std::move(*value);
  }
  if (auto* data = o.if_contains("data")) p.data = *data;
  p.id = read_uint(o.if_contains("id"));
  p.attachments = std::move(attachments);
  return p;
}

std::string channel_prefix(std::string_view prefix, std::string_view nsp) {
  std::string c;
  c.reserve(prefix.size() + nsp.size() + 2);
  c.append(prefix).append("#").append(nsp).append("#");
  return c;
}

// Hands the bound a refused message crossed to the caller, if it asked.
template <class T>
std::optional<T> checked(std::optional<T> value, const Check& check, Bound* crossed) {
  if (crossed) *crossed = check.crossed;
  if (!check.ok()) return std::nullopt;
  return value;
}

std::string checked(std::string bytes, const Check& check, Bound* crossed) {
  if (crossed) *crossed = check.crossed;
  return bytes;
}

std::optional<BroadcastMessage> decode_broadcast_within(std::string_view bytes, Check& check) {
  if (bytes.size() > check.limits.max_message_bytes) {
    check.cross(Bound::message_bytes);
    return std::nullopt;
  }
  std::vector<std::string> attachments;
  auto v = parse_msgpack(bytes, attachments, check);
  if (!v || !v->is_array()) return std::nullopt;
  auto& a = v->get_array();
  if (a.size() < 2 || !a[0].is_string()) return std::nullopt;
  if (a[0].get_string().size() > check.limits.max_id_bytes) {
    check.cross(Bound::id_bytes);
    return std::nullopt;
  }
  auto packet = decode_packet(a[1], std::move(attachments), check);
  auto opts = decode_opts(a.size() > 2 ? &a[2] : nullptr, check);
  if (!packet || !opts) return std::nullopt;
  BroadcastMessage m;
  m.uid = a[0].get_string();
  m.nsp = std::move(packet->nsp);
  m.data = std::move(packet->data);
  m.attachments = std::move(packet->attachments);
  m.ack_id = packet->id;
  m.opts = std::move(*opts);
  return m;
}

std::optional<Request> decode_request_within(std::string_view bytes, Check& check) {
  std::vector<std::string> attachments;
  auto v = parse_json_or_msgpack(bytes, attachments, check);
  if (!v || !v->is_object()) return std::nullopt;
  auto& o = v->get_object();
  auto type = read_uint(o.if_contains("type"));
  if (!type || *type > static_cast<std::uint64_t>(RequestType::broadcast)) return std::nullopt;
  Request r;
  r.type = static_cast<RequestType>(*type);
  r.uid = read_id(o, "uid", check);
  r.request_id = read_id(o, "requestId", check);
  r.sid = read_id(o, "sid", check);
  r.room = read_room(o, "room", check);
  if (auto* opts = o.if_contains("opts")) {
    r.opts = decode_opts(opts, check);
    if (!r.opts) return std::nullopt;
  }
  auto rooms = read_strings(o.if_contains("rooms"), check);
  if (!rooms) return std::nullopt;
  r.rooms = std::move(*rooms);
  if (auto* close = o.if_contains("close"); close && close->is_bool()) r.close = close->get_bool();
  if (auto* data = o.if_contains("data")) r.data = *data;
  if (auto* packet = o.if_contains("packet")) {
    r.packet = decode_packet(*packet, std::move(attachments), check);
    if (!r.packet) return std::nullopt;
  }
  return r;
}

std::optional<Response> decode_response_within(std::string_view bytes, Check& check) {
  std::vector<std::string> attachments;
  auto v = parse_json_or_msgpack(bytes, attachments, check);
  if (!v || !v->is_object()) return std::nullopt;
  auto& o = v->get_object();
  Response r;
  auto id = read_id(o, "requestId", check);
  if (!id) return std::nullopt;
  r.request_id = std::move(*id);
  if (auto type = read_uint(o.if_contains("type"))) {
    if (*type > static_cast<std::uint64_t>(RequestType::broadcast_ack)) return std::nullopt;
    r.type = static_cast<RequestType>(*type);
  }
  if (auto* rooms = o.if_contains("rooms")) {
    // An ALL_ROOMS answer lists a server's rooms: not a list this gateway acts on, so only
    // the size of the message bounds it.
    Limits wide = check.limits;
    wide.max_rooms = std::numeric_limits<std::size_t>::max();
    Check list{wide};
    r.rooms = read_strings(rooms, list);
    check.cross(list.crossed);
    if (!r.rooms) return std::nullopt;
  }
  if (auto* sockets = o.if_contains("sockets")) r.sockets = *sockets;
  if (auto* data = o.if_contains("data")) r.data = *data;
  r.client_count = read_uint(o.if_contains("clientCount"));
  if (auto* packet = o.if_contains("packet")) r.packet = *packet;
  r.attachments = std::move(attachments);
  return r;
}

}  // namespace

std::string encode_broadcast(const BroadcastMessage& m, const Limits& limits, Bound* crossed) {
  json::array message;
  message.emplace_back(m.uid);
  message.emplace_back(encode_packet(2, m.nsp, m.data, m.ack_id));
  message.emplace_back(
      encode_opts(m.opts, m.uid == kEmitterUid ? OptsOrder::emitter : OptsOrder::adapter));
  Check check{limits};
  return checked(msgpack_within(message, m.attachments, check), check, crossed);
}

std::optional<BroadcastMessage> decode_broadcast(std::string_view bytes, const Limits& limits,
                                                 Bound* crossed) {
  Check check{limits};
  return checked(decode_broadcast_within(bytes, check), check, crossed);
}

std::string broadcast_channel(std::string_view prefix, std::string_view nsp,
                              const std::vector<std::string>& rooms) {
  auto c = channel_prefix(prefix, nsp);
  if (rooms.size() == 1) c.append(rooms.front()).append("#");
  return c;
}

std::string broadcast_pattern(std::string_view prefix, std::string_view nsp) {
  return channel_prefix(prefix, nsp) + "*";
}

std::string request_channel(std::string_view prefix, std::string_view nsp) {
  return channel_prefix(std::string(prefix) + "-request", nsp);
}

std::string response_channel(std::string_view prefix, std::string_view nsp, std::string_view uid) {
  auto c = channel_prefix(std::string(prefix) + "-response", nsp);
  if (!uid.empty()) c.append(uid).append("#");
  return c;
}

std::optional<std::string> broadcast_room(std::string_view prefix, std::string_view nsp,
                                          std::string_view channel) {
  auto head = channel_prefix(prefix, nsp);
  if (channel.substr(0, head.size()) != head) return std::nullopt;
  auto rest = channel.substr(head.size());
  if (rest.empty()) return std::string{};
  if (rest.back() != '#') return std::nullopt;
  return std::string(rest.substr(0, rest.size() - 1));
}

std::string encode_request(const Request& r, const Limits& limits, Bound* crossed) {
  json::object o;
  if (r.uid) o["uid"] = *r.uid;
  if (r.request_id) o["requestId"] = *r.request_id;
  o["type"] = static_cast<int>(r.type);
  if (r.packet)
    o["packet"] = encode_packet(r.packet->type, r.packet->nsp, r.packet->data, r.packet->id);
  if (r.opts)
    o["opts"] = encode_opts(
        *r.opts, r.type == RequestType::broadcast ? OptsOrder::adapter : OptsOrder::without_flags);
  bool has_rooms =
      r.type == RequestType::sockets ||
      ((r.type == RequestType::remote_join || r.type == RequestType::remote_leave) && !r.room);
  if (has_rooms) o["rooms"] = string_array(r.rooms);
  if (r.close) o["close"] = *r.close;
  if (r.data) o["data"] = *r.data;
  if (r.sid) o["sid"] = *r.sid;
  if (r.room) o["room"] = *r.room;
  Check check{limits};
  if (r.type == RequestType::broadcast)
    return checked(
        msgpack_within(o, r.packet ? r.packet->attachments : std::vector<std::string>{}, check),
        check, crossed);
  return checked(json_within(o, check), check, crossed);
}

std::optional<Request> decode_request(std::string_view bytes, const Limits& limits,
                                      Bound* crossed) {
  Check check{limits};
  return checked(decode_request_within(bytes, check), check, crossed);
}

std::string encode_response(const Response& r, const Limits& limits, Bound* crossed) {
  json::object o;
  if (r.type) o["type"] = static_cast<int>(*r.type);
  o["requestId"] = r.request_id;
  if (r.rooms) o["rooms"] = string_array(*r.rooms);
  if (r.sockets) o["sockets"] = *r.sockets;
  if (r.data) o["data"] = *r.data;
  if (r.client_count) o["clientCount"] = *r.client_count;
  if (r.packet) o["packet"] = *r.packet;
  Check check{limits};
  if (r.type == RequestType::broadcast_ack)
    return checked(msgpack_within(o, r.attachments, check), check, crossed);
  return checked(json_within(o, check), check, crossed);
}

std::optional<Response> decode_response(std::string_view bytes, const Limits& limits,
                                        Bound* crossed) {
  Check check{limits};
  return checked(decode_response_within(bytes, check), check, crossed);
}

}  // namespace pulseboard::cluster
