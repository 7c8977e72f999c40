#include "gateway/bridge_broadcast.hpp"

#include <boost/json.hpp>

#include "sio/packet.hpp"

namespace pulseboard::gateway {
namespace json = boost::json;

void record_broadcast(recovery::RecoveryStore& store, const socketio::Broadcast& b) {
  if (b.offset.empty() || b.rooms.empty() || b.frames.empty()) return;
  const std::string& frame = *b.frames.front().data;  // "4" + the Socket.IO packet
  store.record(b.nsp, b.rooms.front(), b.offset, frame.substr(1));
}

std::shared_ptr<socketio::Broadcast> to_broadcast(const bridge::Message& m, bool with_offset) {
  auto b = std::make_shared<socketio::Broadcast>();
  b->nsp = m.nsp;
  b->rooms.push_back(m.room);
  if (with_offset && !m.offset.empty()) {
    // The offset goes last, where socket.io-client looks for it (docs/protocol-reference.md,
    // Recovery offsets).
    std::string args = m.args.empty() ? "null" : m.args;
    args += ',';
    args += json::serialize(json::string_view(m.offset));
    b->frames.push_back(eio::message_frame(sio::encode_event(m.nsp, m.event, args)));
    b->offset = m.offset;
  } else {
    b->frames.push_back(eio::message_frame(sio::encode_event(m.nsp, m.event, m.args)));
  }
  return b;
}

}  // namespace pulseboard::gateway
