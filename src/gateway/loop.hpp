#pragma once
// What several parts of one gateway process share, owned by Gateway: its event loops, the
// registry of its sessions, and the offsets of the bridge messages it delivered.
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engineio/session.hpp"
#include "socketio/client_host.hpp"
#include "websocket/flush_list.hpp"

namespace pulseboard::gateway {

// One io_context run by one thread; it owns its sessions and its share of room membership
// (its socketio::LoopRooms base).
struct Loop : socketio::LoopRooms {
  explicit Loop(unsigned i) : index(i) {}
  boost::asio::io_context ioc{1};
  websocket::FlushList<websocket::Transport> flushes{ioc};
  unsigned index;

  // From any thread: hands the loop a broadcast to deliver on its own thread.
  void post_broadcast(std::shared_ptr<const socketio::Broadcast> b);

 private:
  // Broadcasts posted and not yet delivered. The last of them writes through (FlushList): with
  // none behind it there is nothing to gather its frames with.
  std::atomic<std::uint32_t> broadcasts_waiting_{0};
};

class SessionRegistry {
 public:
  void add(const std::string& sid, std::shared_ptr<eio::Session> session);
  void remove(const std::string& sid);
  std::shared_ptr<eio::Session> find(const std::string& sid) const;
  std::vector<std::shared_ptr<eio::Session>> all() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<eio::Session>> sessions_;
};

// Offsets of the last bridge messages delivered: a replay of one (a worker that restarted from a
// lagging position) is not delivered again.
class SeenOffsets {
 public:
  bool first_time(const std::string& offset);  // false: seen among the last kKeep
  static constexpr std::size_t kKeep = 65536;

 private:
  std::mutex mutex_;
  std::unordered_set<std::string> seen_;
  std::deque<std::string> order_;
};

}  // namespace pulseboard::gateway
