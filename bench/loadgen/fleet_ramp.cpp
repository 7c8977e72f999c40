#include "fleet_ramp.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace pulseboard::bench {

RampResult ramp(ClientFleet& fleet, const RampPlan& plan, const std::function<void()>& each_turn) {
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - start).count(); };
  std::uint64_t launched = 0;
  for (;;) {
    auto t = fleet.totals();
    auto due = std::min<std::uint64_t>(
        plan.clients, static_cast<std::uint64_t>(elapsed() * plan.connect_rate) + 1);
    while (launched < due && launched - t.connected - t.failed < plan.max_in_flight) {
      fleet.launch();
      ++launched;
    }
    // Judge completion on counts read after this turn's launches: `t` predates them, so the
    // last handshakes would not yet show as in flight.
    if (launched == plan.clients) {
      auto now = fleet.totals();
      if (now.connected + now.failed >= launched) break;
    }
    if (elapsed() > plan.timeout_seconds) break;
    if (each_turn) each_turn();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double seconds = elapsed();
  return {fleet.totals(), seconds};
}

}  // namespace pulseboard::bench
