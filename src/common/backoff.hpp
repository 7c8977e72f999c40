#pragma once
// Retry pacing after a failure, for every reconnecting client (Redis connections, the worker's
// change source and broker): a delay that doubles from a floor up to a cap.
#include <algorithm>
#include <chrono>

namespace pulseboard {

// floor * 2^attempt, capped (attempt 0 = the first retry). Saturates instead of overflowing.
inline std::chrono::milliseconds exponential_delay(unsigned attempt,
                                                   std::chrono::milliseconds floor,
                                                   std::chrono::milliseconds cap) {
  auto delay = floor.count();
  for (unsigned i = 0; i < attempt && delay < cap.count(); ++i) delay *= 2;
  return std::chrono::milliseconds(std::min(delay, cap.count()));
}

// A point in [delay/2, delay] picked by `unit` (a uniform draw in [0, 1]), so that the clients
// of one restarted server do not all come back in the same millisecond.
inline std::chrono::milliseconds jittered(std::chrono::milliseconds delay, double unit) {
  const auto d = delay.count();
  unit = std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(d / 2 + static_cast<long long>(unit * (d - d / 2)));
}

// The sequence of delays of one retry loop: next() returns floor, 2*floor, ... up to cap;
// reset() after a success starts again from floor.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds floor, std::chrono::milliseconds cap)
      : floor_(floor), cap_(cap) {}
  std::chrono::milliseconds next() { return exponential_delay(attempt_++, floor_, cap_); }
  void reset() { attempt_ = 0; }

 private:
  std::chrono::milliseconds floor_, cap_;
  unsigned attempt_ = 0;
};

}  // namespace pulseboard
