#pragma once
// How often one subject may ask for its socket back (docs/recovery.md): a token bucket per
// subject, in a table of bounded size. A recovery lookup costs the shared store (Redis) work
// that a fresh socket does not; a client that reconnects in a loop gets fresh sockets past its
// rate instead. Thread-safe: CONNECTs arrive on every loop, and they are rare next to messages.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/token_bucket.hpp"

namespace pulseboard::recovery {

class RecoveryAttempts {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr double kPerSecond = 5;
  static constexpr double kBurst = 20;
  // Subjects tracked at once. Those with a full allowance are forgotten first; when every one
  // of them is still busy, an attempt from a subject not in the table is refused. A subject that
  // tried once is forgettable 1/kPerSecond later, so this holds a storm of 10,000 distinct
  // subjects in 0.2-0.4 s (25,000 a second or more).
  static constexpr std::size_t kMaxTracked = 10'000;
  // A longer subject is tracked under its first bytes and a hash of the rest.
  static constexpr std::size_t kMaxKeyBytes = 128;

  explicit RecoveryAttempts(double per_second = kPerSecond, double burst = kBurst,
                            std::size_t max_tracked = kMaxTracked)
      : per_second_(per_second), burst_(burst), max_tracked_(max_tracked) {}

  // Takes one attempt of `who`; false when it is over its rate or the table is full.
  bool take(const std::string& who, Clock::time_point now = Clock::now());
  std::size_t tracked() const;

 private:
  bool make_room(Clock::time_point now);

  const double per_second_, burst_;
  const std::size_t max_tracked_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, TokenBucket> buckets_;
  Clock::time_point next_sweep_{};
};

}  // namespace pulseboard::recovery
