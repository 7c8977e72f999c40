#pragma once
// A bridge message (bridge/bridge_message.hpp) turned into the broadcast every gateway delivers
// to its own sockets. Used for the live bridge (Gateway::deliver_bridge_message) and for retained
// messages read back from the broker (restore_retained).
#include <memory>

#include "bridge/bridge_message.hpp"
#include "recovery/recovery_store.hpp"
#include "socketio/broadcast.hpp"

namespace pulseboard::gateway {

// The EVENT packet for the message's room, encoded once for every recipient. Separate from
// parsing so a caller that only validates (the publish endpoint, when Redis carries the message)
// encodes nothing.
// With `with_offset` (connection state recovery on) a message with an offset carries it as the
// EVENT's last argument, and the broadcast records it.
std::shared_ptr<socketio::Broadcast> to_broadcast(const bridge::Message& m,
                                                  bool with_offset = false);

// Records the broadcast of a bridge message with an offset (to_broadcast) in `store`: its
// packet, for its room.
void record_broadcast(recovery::RecoveryStore& store, const socketio::Broadcast& b);

}  // namespace pulseboard::gateway
