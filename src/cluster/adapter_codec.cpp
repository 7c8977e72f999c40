#include "cluster/adapter_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cluster/msgpack.hpp"

namespace pulseboard::cluster {

namespace json = boost::json;

namespace {

json::array string_array(const std::vector<std::string>& items) {
  json::array a;
  a.reserve(items.size());
  for (auto& s : items) a.emplace_back(s);
  return a;
}

// Room names are strings, but JavaScript lets numbers through (io.to(42)).
std::optional<std::vector<std::string>> read_strings(const json::value* v) {
  std::vector<std::string> out;
  if (!v) return out;
  if (!v->is_array()) return std::nullopt;
  for (auto& item : v->get_array()) {
    if (item.is_string())
      out.emplace_back(item.get_string());
    else if (item.is_int64() || item.is_uint64())
      out.push_back(json::serialize(item));
    else
      return std::nullopt;
  }
  return out;
}

std::optional<std::uint64_t> read_uint(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  if (v->is_double() && v->get_double() >= 0) return static_cast<std::uint64_t>(v->get_double());
  return std::nullopt;
}

std::optional<std::string> read_string(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v && v->is_string()) return std::string(v->get_string());
  return std::nullopt;
}

enum class OptsOrder { adapter, emitter, without_flags };

json::object encode_opts(const BroadcastOptions& opts, OptsOrder order) {
  json::object flags;
  if (opts.is_volatile) flags["volatile"] = true;
  if (opts.compress) flags["compress"] = *opts.compress;
  if (opts.timeout_ms) flags["timeout"] = *opts.timeout_ms;
  json::object o;
  o["rooms"] = string_array(opts.rooms);
  if (order == OptsOrder::emitter) o["flags"] = std::move(flags);
  o["except"] = string_array(opts.except);
  if (order == OptsOrder::adapter) o["flags"] = std::move(flags);
  return o;
}

std::optional<BroadcastOptions> decode_opts(const json::value* v) {
  BroadcastOptions opts;
  if (!v) return opts;
  if (!v->is_object()) return std::nullopt;
  auto& o = v->get_object();
  auto rooms = read_strings(o.if_contains("rooms"));
  auto except = read_strings(o.if_contains("except"));
  if (!rooms || !except) return std::nullopt;
  opts.rooms = std::move(*rooms);
  opts.except = std::move(*except);
  if (auto* f = o.if_contains("flags"); f && f->is_object()) {
    auto& flags = f->get_object();
    if (auto* x = flags.if_contains("volatile"); x && x->is_bool())
      opts.is_volatile = x->get_bool();
    if (auto* x = flags.if_contains("compress"); x && x->is_bool()) opts.compress = x->get_bool();
    opts.timeout_ms = read_uint(flags.if_contains("timeout"));
  }
  return opts;
}

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

std::optional<json::value> parse_json(std::string_view bytes) {
  boost::system::error_code ec;
  auto v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v;
}

std::optional<json::value> parse_msgpack(std::string_view bytes, std::vector<std::string>& att) {
  auto decoded = msgpack::decode(bytes, att);
  auto* v = std::get_if<json::value>(&decoded);
  if (!v) return std::nullopt;
  return std::move(*v);
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
  return json::serialize(o);
}

std::optional<Request> decode_request(std::string_view bytes) {
  std::vector<std::string> attachments;
  auto v = !bytes.empty() && bytes.front() == '{' ? parse_json(bytes)
                                                  : parse_msgpack(bytes, attachments);
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
  return json::serialize(o);
}

std::optional<Response> decode_response(std::string_view bytes) {
  std::vector<std::string> attachments;
  auto v = !bytes.empty() && bytes.front() == '{' ? parse_json(bytes)
                                                  : parse_msgpack(bytes, attachments);
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
