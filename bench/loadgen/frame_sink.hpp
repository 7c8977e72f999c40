#pragma once
// What a probe sees of each dashboard besides the fleet's counters: which client connected and
// which EVENT frame each client received, and when. The load generator only counts frames and
// sets no sink; the database and cluster probes must know *which* event each client received
// (to count losses and duplicates per client).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pulseboard::bench {

// Called on the client's own thread. `client` is the launch index (0, 1, 2, ... in the order
// ClientFleet::launch() was called).
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // The Socket.IO CONNECT was acknowledged.
  virtual void on_connected(std::size_t client) = 0;
  // Every `42[...]` frame, with its receipt time (unix ns, CLOCK_REALTIME).
  virtual void on_event(std::size_t client, std::string_view frame, std::uint64_t receipt_ns) = 0;
  // The connection closed; `was_connected`: after its CONNECT reply (a drop), else a failed
  // attempt. Only the reconnect storm needs it.
  virtual void on_closed(std::size_t /*client*/, bool /*was_connected*/) {}
};

}  // namespace pulseboard::bench
