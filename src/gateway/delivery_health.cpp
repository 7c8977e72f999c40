#include "gateway/delivery_health.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <cstdio>

#include "common/clock.hpp"
#include "common/prometheus.hpp"
#include "engineio/frame.hpp"
#include "gateway/gateway.hpp"
#include "sio/packet.hpp"

namespace pulseboard::gateway {
namespace {
namespace bhttp = boost::beast::http;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}
}  // namespace

DeliveryHealth::DeliveryHealth(Gateway& server, std::chrono::milliseconds stale_after)
    : server_(server), stale_after_(stale_after), started_ns_(steady_ns()) {}

std::shared_ptr<DeliveryHealth> DeliveryHealth::attach(Gateway& server,
                                                       std::chrono::milliseconds stale_after) {
  auto health = std::make_shared<DeliveryHealth>(server, stale_after);
  server.add_route("/health/delivery", [health](http::Request&& req, http::Respond respond) {
    respond(health->render(req));
  });
  server.add_metrics([health](std::string& out) { health->render_metrics(out); });
  health->timer_ = std::make_unique<boost::asio::steady_timer>(server.loops().front()->ioc);
  health->schedule();
  return health;
}

void DeliveryHealth::schedule() {
  timer_->expires_after(kCheckEvery);
  // Weak: the loops may outlive the gateway's last other reference to this object.
  timer_->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->check();
    self->schedule();
  });
}

DeliveryHealth::Status DeliveryHealth::status() const {
  Status s;
  const std::int64_t at = canary_at_ns_.load();
  s.canary_seen = at != 0;
  s.canary_age_seconds = static_cast<double>(steady_ns() - (at ? at : started_ns_)) / 1e9;
  if (stale_after_.count() == 0) return s;
  s.stale = s.canary_age_seconds * 1000.0 > static_cast<double>(stale_after_.count());
  if (s.stale)
    s.reason = s.canary_seen ? "no delivery canary from the worker within the threshold"
                             : "no delivery canary since this gateway started";
  return s;
}

void DeliveryHealth::on_canary(const bridge::Canary& canary) {
  canary_at_ns_ = steady_ns();
  canary_committed_ms_ = canary.committed_at_ms;
  canaries_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  if (announced_stale_) {
    announced_stale_ = false;
    spdlog::info("delivery: a canary arrived; delivery recovered");
    announce(status(), true);
  }
}

void DeliveryHealth::check() {
  const Status s = status();
  std::lock_guard lock(mutex_);
  // Dashboards are told only once this gateway has seen a canary: a deployment whose worker
  // writes none (an older worker, a source without one) never shows them a delay.
  if (!s.canary_seen) return;
  if (s.stale && !announced_stale_) {
    announced_stale_ = true;
    stale_transitions_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("delivery: stale, last canary {:.1f} s ago", s.canary_age_seconds);
    announce(s, true);
  } else if (s.stale) {
    announce(s, false);  // the copy a dashboard that connects now receives: its age now
  }
}

void DeliveryHealth::announce(const Status& s, bool broadcast) {
  boost::json::object data{{"status", s.stale ? "stale" : "ok"},
                           {"canaryAgeSeconds", s.canary_age_seconds}};
  data["reason"] = s.stale ? boost::json::value(s.reason) : boost::json::value(nullptr);
  const std::string args = boost::json::serialize(data);
  for (const std::string& nsp : server_.config().namespaces) {
    auto b = std::make_shared<socketio::Broadcast>();
    b->nsp = nsp;
    b->rooms = server_.config().default_rooms;
    b->frames.push_back(eio::message_frame(sio::encode_event(nsp, kEvent, args)));
    b->control = true;
    // While stale a socket that joins gets the event too; once recovered, nothing.
    for (const std::string& room : server_.config().default_rooms) {
      if (s.stale)
        server_.retained().put({nsp, room, std::string(kEvent), b->frames});
      else
        server_.retained().erase(nsp, room, kEvent);
    }
    if (broadcast) server_.broadcast(std::move(b));
  }
}

void DeliveryHealth::render_metrics(std::string& out) const {
  const Status s = status();
  append_prometheus_metric(out, "pulseboard_canary_age_seconds",
                           "Seconds since the last delivery canary arrived from the worker "
                           "(before the first: since this gateway started)",
                           "gauge", seconds_text(s.canary_age_seconds));
  append_prometheus_metric(out, "pulseboard_canaries_total", "Delivery canaries received",
                           "counter", std::to_string(canaries_.load()));
  append_prometheus_metric(out, "pulseboard_delivery_stale", "1 while delivery is stale", "gauge",
                           s.stale ? "1" : "0");
  append_prometheus_metric(out, "pulseboard_delivery_stale_transitions_total",
                           "Times dashboards were told delivery became stale", "counter",
                           std::to_string(stale_transitions_.load()));
}

http::Response DeliveryHealth::render(const http::Request& req) const {
  const Status s = status();
  boost::json::object body{
      {"status", s.stale ? "stale" : "ok"},
      {"canary_age_seconds", s.canary_age_seconds},
      {"canary_seen", s.canary_seen},
      {"stale_after_seconds", static_cast<double>(stale_after_.count()) / 1e3}};
  body["reason"] = s.stale ? boost::json::value(s.reason) : boost::json::value(nullptr);
  return http::json_response(req, s.stale ? bhttp::status::service_unavailable : bhttp::status::ok,
                             boost::json::serialize(body));
}

}  // namespace pulseboard::gateway
