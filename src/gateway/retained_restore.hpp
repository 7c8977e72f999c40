#pragma once
// Retained messages read back from the broker's store when the bridge subscription is
// (re)established (docs/snapshots.md): a gateway that started late, restarted, or was cut off
// from Redis while the worker published, gets the latest snapshot without waiting for the next.
#include <cstdint>
#include <string>
#include <vector>

namespace pulseboard::gateway {

class Gateway;

// Each stored bridge message `{room, event, data, retain: true, nsp?}` that is newer than what
// the gateway holds (RetainedMessages::restore with `mark`) replaces it and is delivered to the
// room's sockets already connected, which missed it. Returns how many were taken.
std::size_t restore_retained(Gateway& server, std::uint64_t mark,
                             const std::vector<std::string>& payloads);

}  // namespace pulseboard::gateway
