#include "gateway/bridge_message.hpp"

#include <boost/json.hpp>

#include "common/json_text.hpp"
#include "socketio/packet.hpp"

namespace pulseboard::gateway {
namespace json = boost::json;

std::optional<BridgeMessage> parse_bridge_message(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const json::object* o = ec ? nullptr : v.if_object();
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
