#include "gateway/loop.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace pulseboard::gateway {

void Loop::post_broadcast(std::shared_ptr<const socketio::Broadcast> b) {
  broadcasts_waiting_.fetch_add(1, std::memory_order_relaxed);
  boost::asio::post(ioc, [this, b = std::move(b)] {
    const bool last = broadcasts_waiting_.fetch_sub(1, std::memory_order_relaxed) == 1;
    websocket::FlushList<websocket::Transport>::WriteThrough scope(flushes, last);
    deliver(b);
  });
}

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

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool SeenOffsets::first_time(const std::string& offset) {
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
