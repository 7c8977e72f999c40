#include "gateway/bridge_broadcast.hpp"

#include <boost/json.hpp>

#include "socketio/packet.hpp"

namespace pulseboard::gateway {
namespace json = boost::json;

std::shared_ptr<Broadcast> to_broadcast(const bridge::Message& m, bool with_offset) {
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
