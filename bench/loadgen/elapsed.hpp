#pragma once
// Phase and ramp timing in the bench tools: a monotonic clock, in seconds.
#include <chrono>

namespace pulseboard::bench {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace pulseboard::bench
