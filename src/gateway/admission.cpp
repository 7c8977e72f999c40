#include "gateway/admission.hpp"

#include <algorithm>

namespace pulseboard::gateway {

Admission::Verdict Admission::admit(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = addresses_.find(address);
  if (it == addresses_.end()) {
    if (addresses_.size() >= next_sweep_) {
      sweep(now);
      // Amortised: the next sweep waits until the map has doubled, so addresses that cannot be
      // forgotten yet (they hold sessions) never make every handshake walk the whole map.
      next_sweep_ = std::max(kSweepAbove, 2 * addresses_.size());
    }
    it = addresses_
             .emplace(address, PerAddress{0, TokenBucket(limits_.handshakes_per_second,
                                                         limits_.handshake_burst, now)})
             .first;
  }
  PerAddress& a = it->second;
  // The rate first: a client hammering at its session cap still spends its handshake tokens.
  if (!a.handshakes.take(now)) return Verdict::handshake_rate;
  if (limits_.max_sessions && sessions_ >= limits_.max_sessions) return Verdict::session_limit;
  if (limits_.max_sessions_per_address && a.sessions >= limits_.max_sessions_per_address)
    return Verdict::address_session_limit;
  ++a.sessions;
  ++sessions_;
  return Verdict::admitted;
}

void Admission::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto it = addresses_.find(address);
  if (it == addresses_.end() || it->second.sessions == 0) return;
  --it->second.sessions;
  --sessions_;
}

// Forgets addresses that hold no session and whose handshake bucket has refilled: they would
// be admitted exactly as a new address is.
void Admission::sweep(Clock::time_point now) {
  for (auto it = addresses_.begin(); it != addresses_.end();) {
    if (it->second.sessions == 0 && it->second.handshakes.full(now))
      it = addresses_.erase(it);
    else
      ++it;
  }
}

std::size_t Admission::sessions() const {
  std::lock_guard lock(mutex_);
  return sessions_;
}

std::size_t Admission::sessions_of(const std::string& address) const {
  std::lock_guard lock(mutex_);
  auto it = addresses_.find(address);
  return it == addresses_.end() ? 0 : it->second.sessions;
}

std::size_t Admission::tracked_addresses() const {
  std::lock_guard lock(mutex_);
  return addresses_.size();
}

}  // namespace pulseboard::gateway
