#pragma once
// A bridge message, the article's worker format `{room, event, data, retain?, nsp?}`, read into
// the broadcast every gateway delivers to its own sockets. Written once for the live bridge
// (Server::deliver_bridge_message) and for retained messages read back from the broker
// (restore_retained), so both accept exactly the same messages.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/frame.hpp"

namespace pulseboard::gateway {

struct BridgeMessage {
  std::string nsp;  // "/" unless the message names one
  std::string room;
  std::string event;
  bool retain = false;
  std::string args;  // `data` as JSON text, the EVENT's argument ("" when absent)
  // `data.eventId` when it is a string of 1 to kMaxOffset bytes (the worker's database change
  // position): the connection state recovery offset. Empty otherwise.
  std::string offset;
  static constexpr std::size_t kMaxOffset = 256;
};

// nullopt if the text is not a JSON object with a string `room` and a non-empty string `event`.
std::optional<BridgeMessage> parse_bridge_message(std::string_view text);

// The EVENT packet for the message's room, encoded once for every recipient. Separate from
// parsing so a caller that only validates (the publish endpoint, when Redis carries the message)
// encodes nothing.
// With `with_offset` (connection state recovery on) a message with an offset carries it as the
// EVENT's last argument, and the broadcast records it.
std::shared_ptr<Broadcast> to_broadcast(const BridgeMessage& m, bool with_offset = false);

}  // namespace pulseboard::gateway
