#include "gateway/bridge_message.hpp"

#include <boost/json.hpp>

#include <limits>

#include "cluster/codec_fields.hpp"
#include "common/json_text.hpp"
#include "socketio/packet.hpp"

namespace pulseboard::gateway {
namespace json = boost::json;

cluster::Limits bridge_limits(std::size_t max_message_bytes) {
  cluster::Limits limits;
  limits.max_message_bytes = max_message_bytes;
  return limits;
}

std::optional<BridgeMessage> parse_bridge_message(std::string_view text) {
  return parse_bridge_message(text, bridge_limits(std::numeric_limits<std::size_t>::max()));
}

std::optional<BridgeMessage> parse_bridge_message(std::string_view text,
                                                  const cluster::Limits& limits,
                                                  cluster::Bound* crossed) {
  cluster::fields::Check check{limits};
  std::optional<json::value> v;
  if (text.size() > limits.max_message_bytes)
    check.cross(cluster::Bound::message_bytes);
  else
    v = cluster::fields::parse_json(text, check);
  if (crossed) *crossed = check.crossed;
  const json::object* o = v ? v->if_object() : nullptr;
  const json::value* room = o ? o->if_contains("room") : nullptr;
  const json::value* event = o ? o->if_contains("event") : nullptr;
  if (!room || !room->is_string() || !event || !event->is_string() || event->as_string().empty())
    return std::nullopt;

  BridgeMessage m;
  m.nsp = "/";
  if (const json::value* n = o->if_contains("nsp"); n && n->is_string()) m.nsp = n->as_string();
  m.room = room->as_string();
  m.event = event->as_string();
  const json::value* retain = o->if_contains("retain");
  m.retain = retain && retain->is_bool() && retain->as_bool();

  if (const json::value* data = o->if_contains("data")) {
    m.args = to_json_text(*data);
    if (const json::object* d = data->if_object())
      if (const json::value* id = d->if_contains("eventId"); id && id->is_string())
        if (!id->as_string().empty() && id->as_string().size() <= BridgeMessage::kMaxOffset)
          m.offset = id->as_string();
  }
  return m;
}

std::string log_excerpt(std::string_view text, std::size_t max_bytes) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : text.substr(0, max_bytes)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\') {
      out += c;
      continue;
    }
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

std::shared_ptr<Broadcast> to_broadcast(const BridgeMessage& m, bool with_offset) {
  auto b = std::make_shared<Broadcast>();
  b->nsp = m.nsp;
  b->rooms.push_back(m.room);
  if (with_offset && !m.offset.empty()) {
    // The offset goes last, where socket.io-client looks for it (docs/protocol-reference.md,
    // Recovery offsets).
    std::string args = m.args.empty() ? "null" : m.args;
    args += ',';
    args += json::serialize(json::string_view(m.offset));
    b->frames.push_back(message_frame(sio::encode_event(m.nsp, m.event, args)));
    b->offset = m.offset;
  } else {
    b->frames.push_back(message_frame(sio::encode_event(m.nsp, m.event, m.args)));
  }
  return b;
}

}  // namespace pulseboard::gateway
