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

  std::string args;
  if (const json::value* data = o->if_contains("data")) args = to_json_text(*data);
  m.broadcast = std::make_shared<Broadcast>();
  m.broadcast->nsp = m.nsp;
  m.broadcast->rooms.push_back(m.room);
  m.broadcast->frames.push_back(message_frame(sio::encode_event(m.nsp, m.event, args)));
  return m;
}

}  // namespace pulseboard::gateway
