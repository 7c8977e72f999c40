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
  std::shared_ptr<Broadcast> broadcast;  // the EVENT packet for `room`, encoded once
};

// nullopt if the text is not a JSON object with a string `room` and a non-empty string `event`.
std::optional<BridgeMessage> parse_bridge_message(std::string_view text);

}  // namespace pulseboard::gateway
