#pragma once
// What every part of one gateway process shares: configuration, counters, the token verifier,
// the event loops, the session registry and the retained messages. Owned by Server.
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/jwt.hpp"
#include "gateway/config.hpp"
#include "gateway/flush_list.hpp"
#include "gateway/metrics.hpp"
#include "gateway/room_index.hpp"

namespace pulseboard::gateway {

class EngineSession;
class WsTransport;

// One io_context run by one thread; it owns its sessions and its share of room membership.
struct Loop {
  explicit Loop(unsigned i) : index(i) {}
  boost::asio::io_context ioc{1};
  RoomIndex rooms;
  FlushList<WsTransport> flushes{ioc};
  unsigned index;
};

class SessionRegistry {
 public:
  void add(const std::string& sid, std::shared_ptr<EngineSession> session);
  void remove(const std::string& sid);
  std::shared_ptr<EngineSession> find(const std::string& sid) const;
  std::vector<std::shared_ptr<EngineSession>> all() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<EngineSession>> sessions_;
};

// The latest message per (room, event) published with `retain`: a socket that joins the room
// gets it at once (how a dashboard opened late starts full). Bounded by max_entries.
class RetainedMessages {
 public:
  struct Entry {
    std::string nsp, room, event;
    std::vector<struct Frame> frames;
  };
  void put(Entry entry);
  std::vector<Entry> for_room(const std::string& nsp, const std::string& room) const;
  static constexpr std::size_t max_entries = 1024;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // key: nsp \0 room \0 event
};

struct GatewayContext {
  GatewayConfig config;
  GatewayMetrics metrics;
  std::shared_ptr<const auth::JwtVerifier> verifier;  // null: anonymous sockets allowed
  std::vector<std::unique_ptr<Loop>> loops;
  SessionRegistry sessions;
  RetainedMessages retained;
  bool has_namespace(const std::string& nsp) const;
  Loop& next_loop();  // round robin for new connections

 private:
  std::atomic<unsigned> next_loop_{0};
};

}  // namespace pulseboard::gateway
