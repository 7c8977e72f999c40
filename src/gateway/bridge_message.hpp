#pragma once
// A bridge message, the article's worker format `{room, event, data, retain?, nsp?}`, read into
// the broadcast every gateway delivers to its own sockets. Written once for the live bridge
// (Server::deliver_bridge_message) and for retained messages read back from the broker
// (restore_retained), so both accept exactly the same messages.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/limits.hpp"
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

// The bridge channel's default size bound: the publish endpoint's largest body, so whatever it
// accepts goes through the bridge too. The worker's messages are a few KB at most.
inline constexpr std::size_t kDefaultMaxBridgeMessage = 1024 * 1024;

// Bounds for a message read from the bridge channel, which anything that can PUBLISH on the
// broker writes to: max_message_bytes (checked before parsing), the adapters' max_values and
// the nesting depth of cluster::fields::parse_json (64). The other fields are not used.
cluster::Limits bridge_limits(std::size_t max_message_bytes = kDefaultMaxBridgeMessage);

// nullopt if the text is past one of `limits` (the bound crossed is written to `crossed`, when
// given) or is not a JSON object with a string `room` and a non-empty string `event` (then
// `crossed` stays Bound::none). Nothing is parsed when the text is past the size bound.
std::optional<BridgeMessage> parse_bridge_message(std::string_view text,
                                                  const cluster::Limits& limits,
                                                  cluster::Bound* crossed = nullptr);
// The same within bridge_limits() except the size, which the callers bound: the publish
// endpoint's body limit, and the bridge subscription before it delivers (app/cluster_wiring).
std::optional<BridgeMessage> parse_bridge_message(std::string_view text);

// `text` cut to `max_bytes` for a log line, with every byte that is not printable ASCII (line
// breaks, escape sequences, bytes of UTF-8) and the backslash written as \xNN: a hostile
// publisher cannot forge or garble log lines.
std::string log_excerpt(std::string_view text, std::size_t max_bytes = 120);

// The EVENT packet for the message's room, encoded once for every recipient. Separate from
// parsing so a caller that only validates (the publish endpoint, when Redis carries the message)
// encodes nothing.
// With `with_offset` (connection state recovery on) a message with an offset carries it as the
// EVENT's last argument, and the broadcast records it.
std::shared_ptr<Broadcast> to_broadcast(const BridgeMessage& m, bool with_offset = false);

}  // namespace pulseboard::gateway
