#pragma once
// Connection state recovery kept in this process: clients recover when they come back to the
// same gateway (a network blip, a proxy timeout, a laptop waking up). Bounded: at most
// `max_history` packets per namespace and `max_sessions` sessions, each for its ttl.
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "recovery/recovery_store.hpp"

namespace pulseboard::recovery {

class MemoryRecoveryStore final : public RecoveryStore {
 public:
  using Clock = std::chrono::steady_clock;
  explicit MemoryRecoveryStore(std::size_t max_history = 10'000,
                               std::size_t max_sessions = 100'000);

  void record(const std::string& nsp, const std::string& room, const std::string& offset,
              const std::string& packet) override;
  void save(const RecoverableSession& session, std::chrono::milliseconds ttl) override;
  void forget(const std::string& nsp, const std::string& pid) override;
  void recover(const std::string& nsp, const std::string& pid, const std::string& offset,
               Done done) override;

  std::size_t sessions() const;

 private:
  // Each entry has a sequence number: an offset's place is found at once, and how far behind
  // the newest it is, without walking the entries.
  struct History {
    std::deque<std::pair<std::string, std::string>> entries;  // offset, history_entry
    std::unordered_map<std::string, std::uint64_t> sequence;  // offset -> its number
    std::uint64_t next = 0;  // the number of the next entry; the first is next - entries.size()
  };
  // The entries after `offset`; nothing when it is not in `h`, too_far_behind past the bounds.
  static std::optional<std::vector<std::pair<std::string, std::string>>> entries_after(
      const History& h, const std::string& offset, bool& too_far_behind);
  struct Kept {
    RecoverableSession session;
    Clock::time_point expires;
  };
  void sweep(Clock::time_point now);  // drops expired sessions

  const std::size_t max_history_, max_sessions_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, History> history_;  // by namespace
  std::unordered_map<std::string, Kept> sessions_;    // by pid
  Clock::time_point next_sweep_{};
};

}  // namespace pulseboard::recovery
