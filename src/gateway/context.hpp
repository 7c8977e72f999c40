#pragma once
// What every part of one gateway process shares: configuration, counters, the token verifier,
// the event loops, the session registry and the retained messages. Owned by Gateway.
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "auth/jwt.hpp"
#include "cluster/adapter.hpp"
#include "common/log_limiter.hpp"
#include "gateway/admission.hpp"
#include "gateway/bridge_broadcast.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics.hpp"
#include "gateway/session_stack.hpp"
#include "http/client_address.hpp"
#include "recovery/recovery_store.hpp"
#include "socketio/client_host.hpp"
#include "socketio/retained_messages.hpp"
#include "websocket/flush_list.hpp"

namespace pulseboard::gateway {

// One io_context run by one thread; it owns its sessions and its share of room membership
// (its socketio::LoopRooms base).
struct Loop : socketio::LoopRooms {
  explicit Loop(unsigned i) : index(i) {}
  boost::asio::io_context ioc{1};
  websocket::FlushList<websocket::Transport> flushes{ioc};
  unsigned index;
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

struct GatewayContext {
  GatewayConfig config;
  GatewayMetrics metrics;
  // Declared before the loops and sessions: a session still registered at shutdown gives its
  // admission place back when it is destroyed.
  Admission admission;
  // What the session layers are given instead of this context; declared before the loops and
  // sessions, which count and log through it until they are gone.
  SessionStack stack{*this};
  SocketIoHost socketio_host{*this};
  http::TrustedProxies trusted_proxies;
  // Log lines a remote party causes (refused CONNECTs, clients cut at a bound) share this
  // budget; what it leaves out is counted in log_lines_suppressed_total.
  LogLimiter refusal_log{20};
  std::shared_ptr<const auth::JwtVerifier> verifier;  // null: anonymous sockets allowed
  std::vector<std::unique_ptr<Loop>> loops;
  SessionRegistry sessions;
  socketio::RetainedMessages retained;
  // Connection state recovery (recovery_store.hpp); null when config.recovery_window is 0.
  std::shared_ptr<recovery::RecoveryStore> recovery;
  // Offsets of the last bridge messages delivered: a replay of one (a worker that restarted
  // from a lagging position) is not delivered again.
  class SeenOffsets {
   public:
    bool first_time(const std::string& offset);  // false: seen among the last kKeep
    static constexpr std::size_t kKeep = 65536;

   private:
    std::mutex mutex_;
    std::unordered_set<std::string> seen_;
    std::deque<std::string> order_;
  } seen_offsets;
  // Set with the streams adapter (cluster/adapter_streams.hpp): a bridge message with an offset
  // goes into the Redis Stream, and every gateway delivers it from there with its entry id as
  // the offset, instead of straight from the bridge.
  std::weak_ptr<cluster::BridgeStream> bridge_stream;

  // True when a per-client refusal may be logged now; counts the line when it may not.
  // `left_out` is how many were left out before this one.
  bool may_log_refusal(std::uint64_t& left_out);
  template <typename... Args>
  void log_refusal(spdlog::level::level_enum level, fmt::format_string<Args...> format,
                   Args&&... args) {
    std::uint64_t left_out = 0;
    if (!may_log_refusal(left_out)) return;
    std::string line = fmt::format(format, std::forward<Args>(args)...);
    if (left_out)
      spdlog::log(level, "{} ({} similar lines left out)", line, left_out);
    else
      spdlog::log(level, "{}", line);
  }
};

}  // namespace pulseboard::gateway
