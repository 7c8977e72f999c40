#pragma once
// Leader election through Redis, so more than one worker may run and exactly one publishes:
//   acquire: a script that SETs <key> <id> PX <lease_ms> when the key is free (or still names
//            a holder proven gone, below) and otherwise returns the holder's id
//   renew:   a script that PEXPIREs the key only while it still holds our id
//   both run every `check` (at most lease/3), each right after CLIENT SETNAME
//            pulseboard-lease:<id> on the same connection, so the connection that holds the
//            lease always carries its holder's name.
// Fast failover: when the acquire finds another holder, the standby looks for a client named
// after it (CLIENT LIST TYPE normal). None means the holder's connection to Redis is gone: a
// process killed with SIGKILL, or cut off from Redis, whose socket Redis closed. The standby
// then takes the key over at once instead of waiting for it to expire, so a crashed leader is
// replaced within about one `check`. Where the holder's connection still looks alive (a host
// that died without closing its sockets), the key's expiry decides, as before: at most
// lease + check after the last renewal.
// is_leader() turns false as soon as our lease connection drops (a standby may prove us gone
// from then on) and stays false until a renewal on the new connection succeeds; it also expires
// locally `lease` after the last renewal that Redis confirmed was *sent*, minus a margin for
// clock drift, so a leader cut off from Redis stops before the key can expire.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "redis/connection.hpp"
#include "worker/leadership.hpp"

namespace pulseboard::worker {

class LeaderLease final : public Leadership, public std::enable_shared_from_this<LeaderLease> {
 public:
  struct Options {
    std::string key = "pulseboard:worker:leader";
    std::string id;  // empty: a random 20-character id
    std::chrono::milliseconds lease{10000};
    // How often the leader renews and a standby tries to acquire (capped at lease/3).
    std::chrono::milliseconds check{250};
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
                std::uint64_t session, bool renewing);
  // The acquire found `holder` leading: take over at once when its connection is gone.
  void check_holder(const std::string& holder);
  void lose(const char* why);
  std::chrono::milliseconds period() const;

  static constexpr std::string_view kNamePrefix = "pulseboard-lease:";

  boost::asio::steady_timer timer_;
  std::shared_ptr<redis::Connection> connection_;
  Options options_;
  std::atomic<bool> leader_{false};
  std::atomic<std::int64_t> valid_until_ns_{0};  // steady_clock
  std::atomic<std::uint64_t> valid_session_{0};  // connection session the renewal ran on
  std::atomic<bool> running_{false};
  std::string gone_holder_;  // a holder whose connection was found gone: the acquire replaces it
  bool holder_check_failed_ = false;  // CLIENT LIST refused (ACL, old Redis): expiry only
};

}  // namespace pulseboard::worker
