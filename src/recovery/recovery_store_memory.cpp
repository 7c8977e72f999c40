#include "recovery/recovery_store_memory.hpp"

#include <algorithm>

namespace pulseboard::recovery {

MemoryRecoveryStore::MemoryRecoveryStore(std::size_t max_history, std::size_t max_sessions)
    : max_history_(std::max<std::size_t>(1, max_history)), max_sessions_(max_sessions) {}

void MemoryRecoveryStore::record(const std::string& nsp, const std::string& room,
                                 const std::string& offset, const std::string& packet) {
  std::lock_guard lock(mutex_);
  History& h = history_[nsp];
  if (!h.sequence.emplace(offset, h.next).second) return;  // a replay keeps its first place
  ++h.next;
  h.entries.emplace_back(offset, history_entry(room, packet));
  while (h.entries.size() > max_history_) {
    h.sequence.erase(h.entries.front().first);
    h.entries.pop_front();
  }
}

void MemoryRecoveryStore::sweep(Clock::time_point now) {
  if (now < next_sweep_ && sessions_.size() < max_sessions_) return;
  next_sweep_ = now + std::chrono::seconds(1);
  std::erase_if(sessions_, [now](const auto& kv) { return kv.second.expires <= now; });
}

void MemoryRecoveryStore::save(const RecoverableSession& session, std::chrono::milliseconds ttl) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  sweep(now);
  auto it = sessions_.find(session.pid);
  if (it == sessions_.end() && sessions_.size() >= max_sessions_) return;  // full: not kept
  sessions_[session.pid] = Kept{session, now + ttl};
}

void MemoryRecoveryStore::forget(const std::string&, const std::string& pid) {
  std::lock_guard lock(mutex_);
  sessions_.erase(pid);
}

std::optional<std::vector<std::pair<std::string, std::string>>> MemoryRecoveryStore::entries_after(
    const History& h, const std::string& offset, bool& too_far_behind) {
  auto at = h.sequence.find(offset);
  if (at == h.sequence.end()) return std::nullopt;
  const std::size_t later = h.next - 1 - at->second;
  if (later > kMaxMissed) {
    too_far_behind = true;
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t bytes = 0;
  for (auto e = h.entries.end() - static_cast<std::ptrdiff_t>(later); e != h.entries.end(); ++e) {
    bytes += e->second.size();
    if (bytes > kMaxMissedBytes) {
      too_far_behind = true;
      return std::nullopt;
    }
    out.push_back(*e);
  }
  return out;
}

void MemoryRecoveryStore::recover(const std::string& nsp, const std::string& pid,
                                  const std::string& offset, Done done) {
  Lookup result;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(pid);
    if (it != sessions_.end()) {
      Kept kept = std::move(it->second);
      sessions_.erase(it);  // once
      auto h = history_.find(nsp);
      if (kept.expires > Clock::now() && kept.session.nsp == nsp && h != history_.end()) {
        auto after = entries_after(h->second, offset, result.beyond_bound);
        if (after)
          if (auto missed = missed_for(kept.session, *after))
            result.recovered = Recovered{std::move(kept.session), std::move(*missed)};
      }
    }
  }
  done(std::move(result));
}

std::size_t MemoryRecoveryStore::sessions() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace pulseboard::recovery
