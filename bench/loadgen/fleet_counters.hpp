#pragma once
// What one client thread has seen so far. Each field has a single writer (its thread), which
// bumps it with a relaxed load + store; the progress printer and the report read it relaxed.
#include <atomic>
#include <cstdint>

#include "latency_histogram.hpp"

namespace pulseboard::bench {

struct alignas(64) FleetCounters {
  std::atomic<std::uint64_t> started{0};         // connection attempts launched
  std::atomic<std::uint64_t> connected{0};       // Socket.IO CONNECT acknowledged, ever
  std::atomic<std::uint64_t> failed{0};          // attempts that never reached CONNECT
  std::atomic<std::uint64_t> dropped{0};         // connected, then lost
  std::atomic<std::uint64_t> frames{0};          // Socket.IO EVENT frames (42[...]) received
  std::atomic<std::uint64_t> untimed_frames{0};  // EVENT frames without a "t" timestamp
  // EVENT frames published before the current phase began: a saturated server still delivering
  // an earlier phase's backlog. Kept out of `frames` and of the latency histogram.
  std::atomic<std::uint64_t> stale_frames{0};
  std::atomic<std::uint64_t> pings{0};  // Engine.IO pings answered
  // WebSocket bytes received: payloads plus frame headers (not TCP/IP headers).
  std::atomic<std::uint64_t> bytes{0};
  LatencyHistogram latency;  // publish -> receive, µs

  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
};

}  // namespace pulseboard::bench
