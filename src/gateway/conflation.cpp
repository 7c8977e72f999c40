#include "gateway/conflation.hpp"

namespace pulseboard::gateway {

ConflationKeys::ConflationKeys(const std::vector<std::string>& events)
    : events_(events.begin(), events.end()) {}

bool ConflationKeys::conflates(const bridge::Message& m) const {
  return m.offset.empty() && (m.retain || events_.contains(m.event));
}

std::uint32_t ConflationKeys::key_for(const std::string& nsp, const std::string& room,
                                      const std::string& event) {
  std::string name;
  name.reserve(nsp.size() + room.size() + event.size() + 2);
  name.append(nsp).append(1, '\0').append(room).append(1, '\0').append(event);
  std::lock_guard lock(mutex_);
  if (auto it = ids_.find(name); it != ids_.end()) return it->second;
  if (ids_.size() >= max_keys) return 0;
  const auto id = static_cast<std::uint32_t>(ids_.size() + 1);
  ids_.emplace(std::move(name), id);
  return id;
}

void ConflationKeys::mark(socketio::Broadcast& b, const bridge::Message& m) {
  if (b.frames.empty() || !b.offset.empty() || !conflates(m)) return;
  b.frames.front().conflation_key = key_for(m.nsp, m.room, m.event);
}

}  // namespace pulseboard::gateway
