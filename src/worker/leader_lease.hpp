#pragma once
// Leader election through Redis, so more than one worker may run and exactly one publishes:
//   acquire: SET <key> <id> NX PX <lease_ms>
//   renew:   every lease/3, a script that PEXPIREs the key only while it still holds our id
//   standby: retries the acquire every lease/3
// is_leader() also expires locally: it turns false `lease` after the last renewal that Redis
// confirmed was *sent*, minus a margin for clock drift, so a leader cut off from Redis stops
// publishing before the key can expire and a standby take over. A standby takes over at most
// lease + lease/3 after the leader's last renewal (within two lease periods).
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "redis/connection.hpp"
#include "worker/leadership.hpp"

namespace pulseboard::worker {

class LeaderLease final : public Leadership, public std::enable_shared_from_this<LeaderLease> {
 public:
  struct Options {
    std::string key = "pulseboard:worker:leader";
    std::string id;  // empty: a random 20-character id
    std::chrono::milliseconds lease{10000};
  };

  // `connection` must be started by the caller; the lease only issues commands on it.
  static std::shared_ptr<LeaderLease> create(boost::asio::any_io_executor executor,
                                             std::shared_ptr<redis::Connection> connection,
                                             Options options);

  void start();  // thread-safe
  // Stops renewing and, when we lead, deletes the key (only if it is still ours) so a standby
  // takes over at its next attempt instead of after the lease.
  void stop();
  // Stops renewing without releasing: what a crash looks like to the other workers.
  void abandon();

  bool is_leader() const override;
  const std::string& id() const { return options_.id; }

 private:
  LeaderLease(boost::asio::any_io_executor executor, std::shared_ptr<redis::Connection> connection,
              Options options);
  void tick();
  void schedule();
  void on_reply(const redis::Reply& reply, std::chrono::steady_clock::time_point sent,
                bool renewing);
  void lose(const char* why);

  boost::asio::steady_timer timer_;
  std::shared_ptr<redis::Connection> connection_;
  Options options_;
  std::atomic<bool> leader_{false};
  std::atomic<std::int64_t> valid_until_ns_{0};  // steady_clock
  std::atomic<bool> running_{false};
};

}  // namespace pulseboard::worker
