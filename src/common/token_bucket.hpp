#pragma once
// A token bucket: `rate` tokens a second, at most `burst` saved up. Used for every per-client
// rate limit (handshakes per address, events per socket). Not thread-safe: each owner either
// lives on one loop or holds a lock.
#include <algorithm>
#include <chrono>

namespace pulseboard {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate, double burst, Clock::time_point now = Clock::now())
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  // Takes one token if there is one. A rate of 0 or less means unlimited.
  bool take(Clock::time_point now = Clock::now()) {
    if (rate_ <= 0) return true;
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }
  // True when the bucket has refilled completely: its owner may forget it.
  bool full(Clock::time_point now = Clock::now()) {
    refill(now);
    return tokens_ >= burst_;
  }

 private:
  void refill(Clock::time_point now) {
    if (now <= last_) return;
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace pulseboard
