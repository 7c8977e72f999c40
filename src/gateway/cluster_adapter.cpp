#include "gateway/cluster_adapter.hpp"

#include <spdlog/spdlog.h>

#include "common/ids.hpp"
#include "gateway/cluster_adapter_local.hpp"
#include "gateway/gateway.hpp"

namespace pulseboard::gateway {

ClusterAdapter::ClusterAdapter(Gateway& server, std::shared_ptr<broker::Broker> broker,
                               Options options)
    : server_(server),
      broker_(std::move(broker)),
      options_(std::move(options)),
      uid_(random_token(6)) {}

std::shared_ptr<ClusterAdapter> ClusterAdapter::start(Gateway& server,
                                                      std::shared_ptr<broker::Broker> broker,
                                                      Options options) {
  std::shared_ptr<ClusterAdapter> adapter(
      new ClusterAdapter(server, std::move(broker), std::move(options)));
  for (const auto& nsp : server.context().config.namespaces) adapter->subscribe(nsp);
  spdlog::info("cluster adapter: uid {}, key {}", adapter->uid_, adapter->options_.key);
  return adapter;
}

void ClusterAdapter::subscribe(const std::string& nsp) {
  std::weak_ptr<ClusterAdapter> weak = weak_from_this();
  const std::string& key = options_.key;
  broker_->psubscribe(cluster::broadcast_pattern(key, nsp),
                      [weak, nsp](std::string_view channel, std::string_view payload) {
                        if (auto self = weak.lock()) self->on_broadcast(nsp, channel, payload);
                      });
  broker_->subscribe(cluster::request_channel(key, nsp),
                     [weak, nsp](std::string_view, std::string_view payload) {
                       if (auto self = weak.lock()) self->on_request(nsp, payload);
                     });
  // This gateway sends no requests, so responses are never awaited here; the subscriptions exist
  // because every member of the Node cluster holds them (docs/protocol-reference.md, Adapter
  // interop checklist). Their payloads are never decoded.
  auto ignore = [](std::string_view, std::string_view) {};
  broker_->subscribe(cluster::response_channel(key, nsp), ignore);
  broker_->subscribe(cluster::response_channel(key, nsp, uid_), ignore);
}

void ClusterAdapter::refuse(cluster::Bound bound, std::string_view what, std::size_t bytes) {
  local::refuse(server_, "cluster adapter", bound, what, bytes);
}

// The bounds keep what a peer can make this gateway allocate far below what it can; a
// std::bad_alloc while decoding or applying one message (a tight cgroup, many large messages
// at once) still drops that message only, instead of ending the process and every connection
// it serves.
void ClusterAdapter::on_broadcast(const std::string& nsp, std::string_view channel,
                                  std::string_view payload) {
  auto bound = cluster::refuse_on_bad_alloc([&] { receive_broadcast(nsp, channel, payload); });
  if (bound != cluster::Bound::none) refuse(bound, "broadcast", payload.size());
}

void ClusterAdapter::on_request(const std::string& nsp, std::string_view payload) {
  auto bound = cluster::refuse_on_bad_alloc([&] { receive_request(nsp, payload); });
  if (bound != cluster::Bound::none) refuse(bound, "request", payload.size());
}

void ClusterAdapter::receive_broadcast(const std::string& nsp, std::string_view channel,
                                       std::string_view payload) {
  const auto& limits = options_.limits;
  // The channel comes from the publisher too (any `socket.io#<nsp>#...` matches the pattern).
  if (channel.size() + payload.size() > limits.max_message_bytes)
    return refuse(cluster::Bound::message_bytes, "broadcast", payload.size());
  if (!cluster::broadcast_room(options_.key, nsp, channel)) return;
  cluster::Bound crossed = cluster::Bound::none;
  auto message = cluster::decode_broadcast(payload, limits, &crossed);
  auto& metrics = server_.context().metrics;
  if (!message) {
    if (crossed != cluster::Bound::none) return refuse(crossed, "broadcast", payload.size());
    metrics.adapter_messages_malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("cluster adapter: undecodable broadcast on {} ({} bytes)", channel,
                  payload.size());
    return;
  }
  if (message->uid == uid_ || message->nsp != nsp) return;
  metrics.adapter_messages_total.fetch_add(1, std::memory_order_relaxed);
  if (!local::broadcast(server_, nsp, std::move(message->data), std::move(message->attachments),
                        message->opts)) {
    metrics.adapter_messages_malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("cluster adapter: broadcast on {} is no event or names a missing attachment",
                  channel);
  }
}

void ClusterAdapter::receive_request(const std::string& nsp, std::string_view payload) {
  cluster::Bound crossed = cluster::Bound::none;
  auto request = cluster::decode_request(payload, options_.limits, &crossed);
  auto& metrics = server_.context().metrics;
  if (!request) {
    if (crossed != cluster::Bound::none) return refuse(crossed, "request", payload.size());
    metrics.adapter_messages_malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("cluster adapter: undecodable request ({} bytes)", payload.size());
    return;
  }
  if (request->uid && *request->uid == uid_) return;
  metrics.adapter_messages_total.fetch_add(1, std::memory_order_relaxed);
  using T = cluster::RequestType;
  switch (request->type) {
    case T::sockets:
      return answer_sockets(nsp, *request);
    case T::all_rooms:
      return answer_all_rooms(nsp, *request);
    case T::remote_join:
      return apply_membership(nsp, *request, true);
    case T::remote_leave:
      return apply_membership(nsp, *request, false);
    case T::remote_disconnect:
      return apply_disconnect(nsp, *request);
    case T::remote_fetch:
      return answer_fetch(nsp, *request);
    case T::server_side_emit:
      return answer_server_side_emit(nsp, *request);
    case T::broadcast:
      return broadcast_with_ack(nsp, *request);
    case T::broadcast_client_count:
    case T::broadcast_ack:
      return;  // responses, never requests
  }
}

// Runs on an event loop (after gathering, or inside a client's ack): the response carries
// what a client answered, so it is encoded within its bound, and a std::bad_alloc while
// encoding it loses this response only (see on_broadcast).
void ClusterAdapter::respond(const std::string& nsp, const cluster::Response& response) {
  cluster::Bound crossed = cluster::Bound::none;
  std::string bytes;
  auto memory = cluster::refuse_on_bad_alloc(
      [&] { bytes = cluster::encode_response(response, options_.limits, &crossed); });
  if (memory != cluster::Bound::none) crossed = memory;
  if (bytes.empty()) {
    if (crossed != cluster::Bound::none) return refuse(crossed, "response", 0);
    return local::warn_unencodable("cluster adapter", "response");
  }
  // Always the shared response channel: every Node adapter subscribes it, whatever its
  // publishOnSpecificResponseChannel setting.
  broker_->publish(cluster::response_channel(options_.key, nsp), std::move(bytes),
                   [](std::error_code ec) {
                     if (ec)
                       spdlog::warn("cluster adapter: response not published: {}", ec.message());
                   });
}

}  // namespace pulseboard::gateway
