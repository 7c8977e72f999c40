#include "socketio/retained_messages.hpp"

#include <algorithm>

namespace pulseboard::socketio {

namespace {
std::string retained_key(const RetainedMessages::Entry& e) {
  return e.nsp + '\0' + e.room + '\0' + e.event;
}
bool same_frames(const std::vector<eio::Frame>& a, const std::vector<eio::Frame>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const eio::Frame& x, const eio::Frame& y) {
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

void RetainedMessages::erase(const std::string& nsp, const std::string& room,
                             std::string_view event) {
  std::lock_guard lock(mutex_);
  entries_.erase(nsp + '\0' + room + '\0' + std::string(event));
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

}  // namespace pulseboard::socketio
