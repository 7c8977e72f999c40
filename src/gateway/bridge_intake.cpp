#include "gateway/bridge_intake.hpp"

#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <vector>

#include "gateway/delivery_health.hpp"
#include "gateway/gateway.hpp"
#include "gateway/retained_restore.hpp"

namespace pulseboard::gateway {
namespace {
// The retained field of a bridge message published with `retain: true`; nullopt otherwise.
// The publish endpoint validated the message within bridge::limits before it got here.
std::optional<std::string> retained_field_of(std::string_view bridge_json) {
  std::optional<bridge::Message> m = bridge::parse(bridge_json);
  if (!m || !m->retain) return std::nullopt;
  return bridge::retained_field(*m);
}

// Counts and logs (rate-limited, escaped) a bridge message refused for `crossed` (a bound) or,
// with Bound::none, as malformed.
void refuse_bridge_message(Gateway& server, std::string_view what, std::string_view payload,
                           cluster::Bound crossed) {
  if (crossed == cluster::Bound::none) {
    server.metrics().bridge_messages_invalid.fetch_add(1, std::memory_order_relaxed);
    server.refusal_log().log(spdlog::level::warn,
                             "bridge: {} refused (need {{room, event, data}}): {}", what,
                             bridge::log_excerpt(payload));
    return;
  }
  auto bound = BridgeBound::memory;
  if (crossed == cluster::Bound::message_bytes) bound = BridgeBound::message_size;
  if (crossed == cluster::Bound::depth) bound = BridgeBound::depth;
  if (crossed == cluster::Bound::values) bound = BridgeBound::values;
  server.metrics().bridge_over_limit[static_cast<std::size_t>(bound)].fetch_add(
      1, std::memory_order_relaxed);
  server.refusal_log().log(spdlog::level::warn,
                           "bridge: dropped a {} of {} bytes past its bound on {}", what,
                           payload.size(), cluster::to_string(crossed));
}

// A live message: parsed once within the bounds, then delivered as parsed.
// A canary goes to the delivery health, never to sockets.
void receive_bridge_message(Gateway& server, DeliveryHealth& health, std::string_view payload,
                            const cluster::Limits& limits) {
  cluster::Bound crossed = cluster::Bound::none;
  bool valid = false;
  // A std::bad_alloc within the bounds (a tight cgroup) loses this message, not the process.
  auto memory = cluster::refuse_on_bad_alloc([&] {
    auto m = bridge::parse_any(payload, limits, &crossed);
    valid = m.has_value();
    if (!valid) return;
    if (auto* canary = std::get_if<bridge::Canary>(&*m))
      health.on_canary(*canary);
    else
      server.deliver_bridge_message(std::get<bridge::Message>(std::move(*m)));
  });
  if (memory != cluster::Bound::none) crossed = memory;
  if (!valid || crossed != cluster::Bound::none)
    refuse_bridge_message(server, "message", payload, crossed);
}

// Stored retained messages within the bounds, each with `retain: true`; the rest are counted and
// logged as live ones are, and left out.
std::vector<std::string> retained_within(Gateway& server, std::vector<std::string> payloads,
                                         const cluster::Limits& limits) {
  std::erase_if(payloads, [&](const std::string& payload) {
    cluster::Bound crossed = cluster::Bound::none;
    bool retained = false;
    auto memory = cluster::refuse_on_bad_alloc([&] {
      auto m = bridge::parse(payload, limits, &crossed);
      retained = m && m->retain;
    });
    if (memory != cluster::Bound::none) crossed = memory;
    if (retained && crossed == cluster::Bound::none) return false;
    refuse_bridge_message(server, "stored retained message", payload, crossed);
    return true;
  });
  return payloads;
}
}  // namespace

void attach_bridge(Gateway& server, std::shared_ptr<broker::Broker> broker,
                   const std::string& bridge_channel, std::size_t max_message_bytes) {
  const cluster::Limits limits = bridge::limits(max_message_bytes);
  auto health = DeliveryHealth::attach(server, server.config().delivery_stale_after);
  // After every (re)subscription the broker reads back the retained messages it stores: what
  // was published while this gateway was not subscribed (started later, restarted, Redis
  // outage) is not lost for the dashboards that join next (docs/snapshots.md).
  broker->subscribe_retained(
      bridge_channel,
      // Weak: the gateway's routes own the health (its timer must go before the gateway's
      // loops do), and a broker may outlive the gateway (pulseboard demo's in-memory one).
      [&server, weak = std::weak_ptr<DeliveryHealth>(health), limits](std::string_view,
                                                                      std::string_view payload) {
        if (auto health = weak.lock()) receive_bridge_message(server, *health, payload, limits);
      },
      [&server, limits]() -> broker::RetainedDone {
        const std::uint64_t mark = server.retained().begin_restore();
        return [&server, mark, limits](std::vector<std::string> payloads) {
          restore_retained(server, mark, retained_within(server, std::move(payloads), limits));
        };
      });
  server.set_publisher([broker, bridge_channel](std::string json) {
    auto done = [](std::error_code ec) {
      if (ec) spdlog::warn("publish to the bridge failed: {}", ec.message());
    };
    if (auto field = retained_field_of(json))
      broker->publish_retained(bridge_channel, std::move(*field), std::move(json), done);
    else
      broker->publish(bridge_channel, std::move(json), done);
  });
  server.add_readiness([broker] { return broker->ready(); });
}

}  // namespace pulseboard::gateway
