#pragma once
// Admission control for new Engine.IO sessions (docs/security.md): a cap on the sessions of the
// whole gateway, a cap per client address, and a handshake rate per address. Each handshake
// asks admit(); a session that was admitted gives its place back with release() when it ends.
// Thread-safe: handshakes arrive on every loop, and they are rare next to messages.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/token_bucket.hpp"

namespace pulseboard::gateway {

struct AdmissionLimits {
  std::size_t max_sessions = 50'000;           // 0 = no cap
  std::size_t max_sessions_per_address = 200;  // 0 = no cap
  double handshakes_per_second = 20;           // per address; 0 = no limit
  double handshake_burst = 60;
};

class Admission {
 public:
  enum class Verdict { admitted, session_limit, address_session_limit, handshake_rate };
  using Clock = std::chrono::steady_clock;

  explicit Admission(AdmissionLimits limits = {}) : limits_(limits) {}
  void set_limits(AdmissionLimits limits) { limits_ = limits; }
  const AdmissionLimits& limits() const { return limits_; }

  Verdict admit(const std::string& address, Clock::time_point now = Clock::now());
  void release(const std::string& address);

  std::size_t sessions() const;
  std::size_t sessions_of(const std::string& address) const;
  std::size_t tracked_addresses() const;

  // Addresses tracked at once before idle ones are swept: the map itself is bounded too.
  static constexpr std::size_t kSweepAbove = 4096;

 private:
  struct PerAddress {
    std::size_t sessions = 0;
    TokenBucket handshakes;
  };
  void sweep(Clock::time_point now);

  AdmissionLimits limits_;
  mutable std::mutex mutex_;
  std::size_t sessions_ = 0;
  std::size_t next_sweep_ = kSweepAbove;
  std::unordered_map<std::string, PerAddress> addresses_;
};

}  // namespace pulseboard::gateway
