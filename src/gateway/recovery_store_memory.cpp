#include "gateway/recovery_store_memory.hpp"

#include <algorithm>

namespace pulseboard::gateway {

MemoryRecoveryStore::MemoryRecoveryStore(std::size_t max_history, std::size_t max_sessions)
    : max_history_(std::max<std::size_t>(1, max_history)), max_sessions_(max_sessions) {}

void MemoryRecoveryStore::record(const std::string& nsp, const std::string& room,
                                 const std::string& offset, const std::string& packet) {
  std::lock_guard lock(mutex_);
  History& h = history_[nsp];
  if (!h.offsets.insert(offset).second) return;  // a replay keeps its first place
  h.entries.emplace_back(offset, history_entry(room, packet));
  while (h.entries.size() > max_history_) {
    h.offsets.erase(h.entries.front().first);
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

void MemoryRecoveryStore::recover(const std::string& nsp, const std::string& pid,
                                  const std::string& offset, Done done) {
  std::optional<Recovered> result;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(pid);
    if (it != sessions_.end()) {
      Kept kept = std::move(it->second);
      sessions_.erase(it);  // once
      auto h = history_.find(nsp);
      if (kept.expires > Clock::now() && kept.session.nsp == nsp && h != history_.end() &&
          h->second.offsets.contains(offset)) {
        auto& entries = h->second.entries;
        auto at = std::find_if(entries.begin(), entries.end(),
                               [&](const auto& e) { return e.first == offset; });
        std::vector<std::pair<std::string, std::string>> after;
        for (++at; at != entries.end(); ++at) after.push_back(*at);
        if (auto missed = missed_for(kept.session, after))
          result = Recovered{std::move(kept.session), std::move(*missed)};
      }
    }
  }
  done(std::move(result));
}

std::size_t MemoryRecoveryStore::sessions() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace pulseboard::gateway
