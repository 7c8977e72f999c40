#include "cluster/adapter_codec.hpp"

#include <boost/json/parse.hpp>

#include "cluster/codec_fields.hpp"
#include "cluster/msgpack.hpp"
#include "common/json_text.hpp"

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

std::optional<Packet> decode_packet(const json::value& v, std::vector<std::string> attachments) {
  if (!v.is_object()) return std::nullopt;
  auto& o = v.get_object();
  Packet p;
  auto* type = o.if_contains("type");
  if (!type || !type->is_int64()) return std::nullopt;
  p.type = static_cast<int>(type->get_int64());
  if (auto* nsp = o.if_contains("nsp")) {
    if (!nsp->is_string()) return std::nullopt;
    p.nsp = nsp->get_string();
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

}  // namespace

std::string encode_broadcast(const BroadcastMessage& m) {
  json::array message;
  message.emplace_back(m.uid);
  message.emplace_back(encode_packet(2, m.nsp, m.data, m.ack_id));
  message.emplace_back(
      encode_opts(m.opts, m.uid == kEmitterUid ? OptsOrder::emitter : OptsOrder::adapter));
  return msgpack::encode(message, m.attachments).value_or(std::string{});
}

std::optional<BroadcastMessage> decode_broadcast(std::string_view bytes) {
  std::vector<std::string> attachments;
  auto v = parse_msgpack(bytes, attachments);
  if (!v || !v->is_array()) return std::nullopt;
  auto& a = v->get_array();
  if (a.size() < 2 || !a[0].is_string()) return std::nullopt;
  auto packet = decode_packet(a[1], std::move(attachments));
  auto opts = decode_opts(a.size() > 2 ? &a[2] : nullptr);
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

std::string encode_request(const Request& r) {
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
  if (r.type == RequestType::broadcast)
    return msgpack::encode(o, r.packet ? r.packet->attachments : std::vector<std::string>{})
        .value_or(std::string{});
  return to_json_text(o);  // as JSON.stringify: non-finite numbers become null
}

std::optional<Request> decode_request(std::string_view bytes) {
  std::vector<std::string> attachments;
  auto v = parse_json_or_msgpack(bytes, attachments);
  if (!v || !v->is_object()) return std::nullopt;
  auto& o = v->get_object();
  auto type = read_uint(o.if_contains("type"));
  if (!type || *type > static_cast<std::uint64_t>(RequestType::broadcast)) return std::nullopt;
  Request r;
  r.type = static_cast<RequestType>(*type);
  r.uid = read_string(o, "uid");
  r.request_id = read_string(o, "requestId");
  r.sid = read_string(o, "sid");
  r.room = read_string(o, "room");
  if (auto* opts = o.if_contains("opts")) {
    r.opts = decode_opts(opts);
    if (!r.opts) return std::nullopt;
  }
  auto rooms = read_strings(o.if_contains("rooms"));
  if (!rooms) return std::nullopt;
  r.rooms = std::move(*rooms);
  if (auto* close = o.if_contains("close"); close && close->is_bool()) r.close = close->get_bool();
  if (auto* data = o.if_contains("data")) r.data = *data;
  if (auto* packet = o.if_contains("packet")) {
    r.packet = decode_packet(*packet, std::move(attachments));
    if (!r.packet) return std::nullopt;
  }
  return r;
}

std::string encode_response(const Response& r) {
  json::object o;
  if (r.type) o["type"] = static_cast<int>(*r.type);
  o["requestId"] = r.request_id;
  if (r.rooms) o["rooms"] = string_array(*r.rooms);
  if (r.sockets) o["sockets"] = *r.sockets;
  if (r.data) o["data"] = *r.data;
  if (r.client_count) o["clientCount"] = *r.client_count;
  if (r.packet) o["packet"] = *r.packet;
  if (r.type == RequestType::broadcast_ack)
    return msgpack::encode(o, r.attachments).value_or(std::string{});
  return to_json_text(o);  // as JSON.stringify: non-finite numbers become null
}

std::optional<Response> decode_response(std::string_view bytes) {
  std::vector<std::string> attachments;
  auto v = parse_json_or_msgpack(bytes, attachments);
  if (!v || !v->is_object()) return std::nullopt;
  auto& o = v->get_object();
  Response r;
  auto id = read_string(o, "requestId");
  if (!id) return std::nullopt;
  r.request_id = std::move(*id);
  if (auto type = read_uint(o.if_contains("type"))) {
    if (*type > static_cast<std::uint64_t>(RequestType::broadcast_ack)) return std::nullopt;
    r.type = static_cast<RequestType>(*type);
  }
  if (auto* rooms = o.if_contains("rooms")) {
    r.rooms = read_strings(rooms);
    if (!r.rooms) return std::nullopt;
  }
  if (auto* sockets = o.if_contains("sockets")) r.sockets = *sockets;
  if (auto* data = o.if_contains("data")) r.data = *data;
  r.client_count = read_uint(o.if_contains("clientCount"));
  if (auto* packet = o.if_contains("packet")) r.packet = *packet;
  r.attachments = std::move(attachments);
  return r;
}

}  // namespace pulseboard::cluster
