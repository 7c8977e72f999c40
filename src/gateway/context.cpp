#include "gateway/context.hpp"

#include <algorithm>

#include "gateway/frame.hpp"

namespace pulseboard::gateway {

void SessionRegistry::add(const std::string& sid, std::shared_ptr<eio::Session> session) {
  std::lock_guard lock(mutex_);
  sessions_[sid] = std::move(session);
}

void SessionRegistry::remove(const std::string& sid) {
  std::lock_guard lock(mutex_);
  sessions_.erase(sid);
}

std::shared_ptr<eio::Session> SessionRegistry::find(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<eio::Session>> SessionRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<eio::Session>> out;
  out.reserve(sessions_.size());
  for (auto& [sid, s] : sessions_) out.push_back(s);
  return out;
}

bool GatewayContext::may_log_refusal(std::uint64_t& left_out) {
  auto admitted = refusal_log.admit();
  if (!admitted) {
    metrics.log_lines_suppressed_total.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  left_out = *admitted;
  return true;
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

namespace {
std::string retained_key(const RetainedMessages::Entry& e) {
  return e.nsp + '\0' + e.room + '\0' + e.event;
}
bool same_frames(const std::vector<Frame>& a, const std::vector<Frame>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Frame& x, const Frame& y) {
    return x.binary == y.binary && *x.data == *y.data;
  });
}
}  // namespace

void RetainedMessages::put(Entry entry) {
  std::string key = retained_key(entry);
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries && !entries_.contains(key)) return;
  entries_[std::move(key)] = Held{std::move(entry), clock_};
}

std::uint64_t RetainedMessages::begin_restore() {
  std::lock_guard lock(mutex_);
  return ++clock_;
}

bool RetainedMessages::restore(Entry entry, std::uint64_t mark) {
  std::string key = retained_key(entry);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries) return false;
    entries_.emplace(std::move(key), Held{std::move(entry), mark - 1});
    return true;
  }
  if (it->second.stamp >= mark) return false;  // arrived live after the read began: newer
  if (same_frames(it->second.entry.frames, entry.frames)) return false;
  // Stamped before the mark, so a later restore (a later reconnect) may replace it again.
  it->second = Held{std::move(entry), mark - 1};
  return true;
}

std::vector<RetainedMessages::Entry> RetainedMessages::for_room(const std::string& nsp,
                                                                const std::string& room) const {
  std::vector<Entry> out;
  std::lock_guard lock(mutex_);
  for (auto& [key, held] : entries_)
    if (held.entry.nsp == nsp && held.entry.room == room) out.push_back(held.entry);
  return out;
}

bool GatewayContext::has_namespace(const std::string& nsp) const {
  return std::find(config.namespaces.begin(), config.namespaces.end(), nsp) !=
         config.namespaces.end();
}

bool GatewayContext::SeenOffsets::first_time(const std::string& offset) {
  std::lock_guard lock(mutex_);
  if (!seen_.insert(offset).second) return false;
  order_.push_back(offset);
  if (order_.size() > kKeep) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

}  // namespace pulseboard::gateway
