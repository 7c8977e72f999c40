#pragma once
// Where the bridge enters the gateway (docs/cluster.md): the gateway subscribes to the bridge
// channel (the article's `socket-io-bridge`) and delivers each message to its OWN sockets only.
// Every gateway is subscribed, so re-broadcasting through the adapter would deliver N copies
// with N gateways, the article's bug. POST /api/v1/publish publishes on the bridge so it reaches
// every gateway; /readyz follows the broker's subscriptions.
#include <cstddef>
#include <memory>
#include <string>

#include "bridge/bridge_message.hpp"
#include "broker/broker.hpp"

namespace pulseboard::gateway {

class Gateway;

// Subscribes the gateway to the bridge (retained messages restored from the broker's store after
// every (re)subscription) and sends POST /api/v1/publish to it (stored too with `retain: true`).
// Anything that can publish on the broker writes the bridge, so each message it brings, live or
// stored, is refused whole past `max_message_bytes` (before it is parsed) or past
// bridge::limits' depth and value bounds; refusals are counted on /metrics
// (pulseboard_bridge_messages_over_limit_total by bound, _invalid_total when malformed) and
// logged through the gateway's refusal log limiter, the message's text escaped.
void attach_bridge(Gateway& server, std::shared_ptr<broker::Broker> broker,
                   const std::string& bridge_channel,
                   std::size_t max_message_bytes = bridge::kDefaultMaxMessage);

}  // namespace pulseboard::gateway
