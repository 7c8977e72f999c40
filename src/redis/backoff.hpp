#pragma once
// Reconnect pacing shared by every Redis connection.
#include <algorithm>
#include <chrono>

namespace pulseboard::redis {

inline constexpr std::chrono::milliseconds kBackoffFloor{100};
inline constexpr std::chrono::milliseconds kBackoffCap{5000};

// Delay before reconnect attempt `attempt` (0 = first retry): 100 ms doubling up to 5 s, then
// a point in [delay/2, delay] picked by `unit` (a uniform draw in [0, 1]) so that the clients of
// one restarted server do not all reconnect in the same millisecond.
inline std::chrono::milliseconds reconnect_delay(unsigned attempt, double unit) {
  auto ceiling = kBackoffCap.count();
  auto delay = attempt >= 6 ? ceiling : std::min(ceiling, kBackoffFloor.count() << attempt);
  unit = std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(delay / 2 + static_cast<long long>(unit * (delay - delay / 2)));
}

}  // namespace pulseboard::redis
