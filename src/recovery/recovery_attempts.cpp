#include "recovery/recovery_attempts.hpp"

#include <functional>
#include <iterator>

namespace pulseboard::recovery {

namespace {
std::string key_of(const std::string& who) {
  if (who.size() <= RecoveryAttempts::kMaxKeyBytes) return who;
  return who.substr(0, RecoveryAttempts::kMaxKeyBytes - 21) + "#" +
         std::to_string(std::hash<std::string>{}(who));
}
}  // namespace

bool RecoveryAttempts::take(const std::string& who, Clock::time_point now) {
  if (per_second_ <= 0) return true;
  const std::string key = key_of(who);
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_tracked_ && !make_room(now)) return false;
    it = buckets_.emplace(key, TokenBucket(per_second_, burst_, now)).first;
  }
  return it->second.take(now);
}

// Forgets the subjects whose allowance is full (they are as if never seen). A table full of busy
// subjects is not walked on every attempt, only once per time an attempt takes to come back
// (200 ms at 5/s): a subject that tried once is forgettable again by then. A reconnect storm
// brings every dashboard of a gateway within seconds, each a subject of its own; walking only
// once a second refused the excess over the table's size for the whole second.
bool RecoveryAttempts::make_room(Clock::time_point now) {
  if (now >= next_sweep_) {
    next_sweep_ = now + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(1.0 / per_second_));
    for (auto it = buckets_.begin(); it != buckets_.end();)
      it = it->second.full(now) ? buckets_.erase(it) : std::next(it);
  }
  return buckets_.size() < max_tracked_;
}

std::size_t RecoveryAttempts::tracked() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace pulseboard::recovery
