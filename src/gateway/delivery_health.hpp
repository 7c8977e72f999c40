#pragma once
// Delivery health at the gateway (docs/operations.md): how long ago the last delivery canary
// (bridge::Canary) arrived from the worker, GET /health/delivery, pulseboard_canary_age_seconds,
// and the `pulseboard:delivery` event that tells dashboards when delivery becomes stale and when
// it recovers (docs/gateway.md). /readyz is not affected: a stale pipeline is not a reason to
// take a gateway out of its load balancer.
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "bridge/bridge_message.hpp"
#include "http/handler.hpp"

namespace pulseboard::gateway {

class Gateway;

class DeliveryHealth : public std::enable_shared_from_this<DeliveryHealth> {
 public:
  // The event dashboards receive on a change: `{"status":"stale"|"ok","reason":..,
  // "canaryAgeSeconds":..}`.
  static constexpr std::string_view kEvent = "pulseboard:delivery";
  // How often staleness is checked (and the stale event's retained copy refreshed).
  static constexpr std::chrono::seconds kCheckEvery{1};

  // `stale_after` zero: never stale. Registers /health/delivery and the metrics on `server`
  // (before it starts) and checks every kCheckEvery on its first loop. The server's routes own
  // the result: hold it weakly anywhere that may outlive the server.
  static std::shared_ptr<DeliveryHealth> attach(Gateway& server,
                                                std::chrono::milliseconds stale_after);

  DeliveryHealth(Gateway& server, std::chrono::milliseconds stale_after);
  // A canary from the bridge, on whatever thread the broker delivers on.
  void on_canary(const bridge::Canary& canary);

  struct Status {
    bool stale = false;
    std::string reason;  // empty when ok
    double canary_age_seconds = 0;
    bool canary_seen = false;
  };
  Status status() const;
  void render_metrics(std::string& out) const;
  http::Response render(const http::Request& req) const;

 private:
  void schedule();
  void check();
  // Tells every local dashboard (and, while stale, the ones that connect) about a change.
  void announce(const Status& s, bool broadcast);

  Gateway& server_;
  const std::chrono::milliseconds stale_after_;
  const std::int64_t started_ns_;
  std::atomic<std::int64_t> canary_at_ns_{0};
  std::atomic<std::int64_t> canary_committed_ms_{0};
  std::atomic<std::uint64_t> canaries_{0}, stale_transitions_{0};
  std::mutex mutex_;
  bool announced_stale_ = false;  // what the dashboards were last told
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

}  // namespace pulseboard::gateway
