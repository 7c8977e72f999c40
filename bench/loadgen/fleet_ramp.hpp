#pragma once
// Opening a fleet's connections on a schedule, so that a server is measured holding them, not
// absorbing a connection storm.
#include <cstdint>
#include <functional>

#include "client_fleet.hpp"

namespace pulseboard::bench {

struct RampPlan {
  std::uint64_t clients = 0;
  double connect_rate = 0;      // new connections per second
  unsigned max_in_flight = 64;  // handshakes under way at once, at most
  double timeout_seconds = 30;
};

struct RampResult {
  FleetTotals totals;
  double seconds = 0;
};

// Launches `plan.clients` connections and returns when all are settled (connected or failed)
// or after the timeout. `each_turn` (optional) runs on every 5 ms turn of the schedule.
RampResult ramp(ClientFleet& fleet, const RampPlan& plan,
                const std::function<void()>& each_turn = {});

}  // namespace pulseboard::bench
