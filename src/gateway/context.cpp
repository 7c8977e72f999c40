#include "gateway/context.hpp"

#include <algorithm>

#include "gateway/frame.hpp"

namespace pulseboard::gateway {

void SessionRegistry::add(const std::string& sid, std::shared_ptr<EngineSession> session) {
  std::lock_guard lock(mutex_);
  sessions_[sid] = std::move(session);
}

void SessionRegistry::remove(const std::string& sid) {
  std::lock_guard lock(mutex_);
  sessions_.erase(sid);
}

std::shared_ptr<EngineSession> SessionRegistry::find(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<EngineSession>> SessionRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<EngineSession>> out;
  out.reserve(sessions_.size());
  for (auto& [sid, s] : sessions_) out.push_back(s);
  return out;
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void RetainedMessages::put(Entry entry) {
  std::string key = entry.nsp + '\0' + entry.room + '\0' + entry.event;
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries && !entries_.contains(key)) return;
  entries_[std::move(key)] = std::move(entry);
}

std::vector<RetainedMessages::Entry> RetainedMessages::for_room(const std::string& nsp,
                                                                const std::string& room) const {
  std::vector<Entry> out;
  std::lock_guard lock(mutex_);
  for (auto& [key, e] : entries_)
    if (e.nsp == nsp && e.room == room) out.push_back(e);
  return out;
}

bool GatewayContext::has_namespace(const std::string& nsp) const {
  return std::find(config.namespaces.begin(), config.namespaces.end(), nsp) !=
         config.namespaces.end();
}

Loop& GatewayContext::next_loop() {
  return *loops[next_loop_.fetch_add(1, std::memory_order_relaxed) % loops.size()];
}

}  // namespace pulseboard::gateway
