#include "gateway/sharded_cluster_adapter.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/json/value.hpp>

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "gateway/cluster_adapter_local.hpp"
#include "gateway/gateway.hpp"

namespace pulseboard::gateway {
namespace json = boost::json;
using cluster::sharded::Message;
using cluster::sharded::MessageType;
using sharded::Action;

namespace {

std::string random_hex_uid() {
  std::array<unsigned char, 8> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string_view why(cluster::sharded::DecodeError e) {
  using E = cluster::sharded::DecodeError;
  switch (e) {
    case E::not_an_object:
      return "neither a JSON object nor a msgpack map";
    case E::bad_envelope:
      return "type, uid or nsp missing";
    case E::unknown_type:
      return "unknown type";
    case E::bad_data:
      return "data incomplete for its type";
    case E::over_limit:
      return "past a bound";
  }
  return "malformed";
}

void log_publish_failure(std::error_code ec) {
  if (ec) spdlog::warn("adapter: response not published: {}", ec.message());
}

}  // namespace

ShardedClusterAdapter::ShardedClusterAdapter(Gateway& server,
                                             std::shared_ptr<broker::Broker> broker,
                                             Options options)
    : server_(server),
      broker_(std::move(broker)),
      options_(std::move(options)),
      uid_(random_hex_uid()),
      room_channels_(options_.key) {}

std::shared_ptr<ShardedClusterAdapter> ShardedClusterAdapter::start(
    Gateway& server, std::shared_ptr<broker::Broker> broker, Options options) {
  std::shared_ptr<ShardedClusterAdapter> adapter(
      new ShardedClusterAdapter(server, std::move(broker), std::move(options)));
  for (const auto& nsp : server.context().config.namespaces) adapter->subscribe_namespace(nsp);
  if (adapter->options_.mode != cluster::sharded::SubscriptionMode::static_channels)
    adapter->follow_rooms();
  spdlog::info("{}: uid {}, channel prefix {}, subscription mode {}", adapter->options_.name,
               adapter->uid_, adapter->options_.key,
               cluster::sharded::to_string(adapter->options_.mode));
  return adapter;
}

std::size_t ShardedClusterAdapter::room_channels() const {
  std::lock_guard lock(rooms_mutex_);
  return room_channels_.channels();
}

broker::MessageHandler ShardedClusterAdapter::handler_for(const std::string& nsp) {
  return [weak = weak_from_this(), nsp](std::string_view channel, std::string_view payload) {
    if (auto self = weak.lock()) self->on_message(nsp, channel, payload);
  };
}

void ShardedClusterAdapter::subscribe_namespace(const std::string& nsp) {
  broker_->subscribe(cluster::sharded::namespace_channel(options_.key, nsp), handler_for(nsp));
  // This gateway sends no requests, so nothing is awaited on its response channel; it is held
  // because every member of a Node cluster holds one.
  broker_->subscribe(cluster::sharded::room_channel(options_.key, nsp, uid_),
                     [](std::string_view, std::string_view) {});
}

// Each loop owns its rooms: the observer is installed on the loop's own thread, which also
// reports the rooms that already exist there.
void ShardedClusterAdapter::follow_rooms() {
  std::weak_ptr<ShardedClusterAdapter> weak = weak_from_this();
  auto mode = options_.mode;
  auto observer = [weak, mode](const std::string& nsp, const std::string& room, bool exists,
                               bool is_socket_id) {
    // Every connect creates the socket's id room: in `dynamic` mode this returns at once.
    if (!sharded::has_room_channel(mode, is_socket_id)) return;
    if (auto self = weak.lock()) self->on_room(nsp, room, exists);
  };
  for (auto& loop : server_.context().loops)
    boost::asio::post(loop->ioc, [l = loop.get(), observer] { l->rooms.observe_rooms(observer); });
}

void ShardedClusterAdapter::on_room(const std::string& nsp, const std::string& room, bool exists) {
  // Under the lock, so that the broker sees subscribe and unsubscribe of one channel in the
  // order the rooms changed, whichever loops reported them.
  std::lock_guard lock(rooms_mutex_);
  auto update = room_channels_.on_room(nsp, room, exists);
  using Change = sharded::RoomChannels::Change;
  if (update.change == Change::subscribe)
    broker_->subscribe(std::move(update.channel), handler_for(nsp));
  else if (update.change == Change::unsubscribe)
    broker_->unsubscribe(std::move(update.channel));
}

void ShardedClusterAdapter::count_malformed() {
  malformed_.fetch_add(1, std::memory_order_relaxed);
  server_.context().metrics.adapter_messages_malformed.fetch_add(1, std::memory_order_relaxed);
}

void ShardedClusterAdapter::refuse(cluster::Bound bound, std::string_view what, std::size_t bytes) {
  local::refuse(server_, options_.name, bound, what, bytes);
}

// The bounds keep what a peer can make this gateway allocate far below what it can; a
// std::bad_alloc while decoding or applying one message (a tight cgroup, many large messages
// at once) still drops that message only, instead of ending the process and every connection
// it serves.
void ShardedClusterAdapter::on_message(const std::string& nsp, std::string_view channel,
                                       std::string_view payload) {
  auto bound = cluster::refuse_on_bad_alloc([&] { receive(nsp, channel, payload); });
  if (bound != cluster::Bound::none) refuse(bound, "message", payload.size());
}

void ShardedClusterAdapter::receive(const std::string& nsp, std::string_view channel,
                                    std::string_view payload) {
  auto decoded = cluster::sharded::decode(payload, options_.limits);
  if (decoded.error == cluster::sharded::DecodeError::over_limit)
    return refuse(decoded.crossed, "message", payload.size());
  if (!decoded.message) {
    count_malformed();
    spdlog::debug("{}: dropped a message on {} ({} bytes): {}", options_.name, channel,
                  payload.size(), why(decoded.error));
    return;
  }
  apply(nsp, *decoded.message);
}

void ShardedClusterAdapter::receive_entry(const std::string& nsp, Message& m,
                                          const std::string& offset) {
  auto bound = cluster::refuse_on_bad_alloc([&] { apply(nsp, m, offset); });
  if (bound != cluster::Bound::none) refuse(bound, "stream entry", 0);
}

void ShardedClusterAdapter::apply(const std::string& nsp, Message& m, const std::string& offset) {
  Action action = sharded::decide(m, uid_, nsp);
  if (action == Action::ignore_own) return;
  received_.fetch_add(1, std::memory_order_relaxed);
  server_.context().metrics.adapter_messages_total.fetch_add(1, std::memory_order_relaxed);
  auto done = [](std::size_t) {};
  switch (action) {
    case Action::deliver:
      return deliver(nsp, m, offset);
    case Action::deliver_with_ack:
      return deliver_with_ack(nsp, m);
    case Action::join:
    case Action::leave:
      if (m.rooms.empty()) return;
      return local::update_membership(server_, nsp, local::target_of(*m.opts), std::move(m.rooms),
                                      action == Action::join, options_.limits, done);
    case Action::disconnect:
      return local::disconnect_sockets(server_, nsp, local::target_of(*m.opts),
                                       m.close.value_or(false), done);
    case Action::fetch:
      return fetch(nsp, m);
    case Action::answer_server_side_emit: {
      // The gateway has no server-side handlers; a Node server waits for one answer per other
      // server before serverSideEmitWithAck resolves, so each gateway answers null at once.
      Message r;
      r.type = MessageType::server_side_emit_response;
      r.request_id = m.request_id;
      r.packet = nullptr;
      return respond(nsp, m.uid, std::move(r));
    }
    case Action::ignore_own:
    case Action::ignore_other_namespace:
    case Action::ignore_heartbeat:
    case Action::ignore_response:
    case Action::ignore_server_side_emit:
      return;
  }
}

namespace {

// The Socket.IO packet inside a BROADCAST: {type: 2 (EVENT) or 5 (BINARY_EVENT), data}.
json::value* event_data(Message& m) {
  auto& packet = m.packet->as_object();
  auto* type = packet.if_contains("type");
  if (!type || !(*type == 2 || *type == 5)) return nullptr;
  return packet.if_contains("data");
}

}  // namespace

void ShardedClusterAdapter::deliver(const std::string& nsp, Message& m, const std::string& offset) {
  auto* data = event_data(m);
  if (!data ||
      !local::broadcast(server_, nsp, std::move(*data), std::move(m.attachments), *m.opts, offset))
    count_malformed();
}

void ShardedClusterAdapter::deliver_with_ack(const std::string& nsp, Message& m) {
  auto* data = event_data(m);
  if (!data) {
    count_malformed();
    return;
  }
  auto self = shared_from_this();
  bool sent = local::broadcast_with_ack(
      server_, nsp, local::target_of(*m.opts), std::move(*data), std::move(m.attachments),
      options_.limits,
      [self, nsp, requester = m.uid, id = *m.request_id](std::uint64_t clients) {
        Message r;
        r.type = MessageType::broadcast_client_count;
        r.request_id = id;
        r.client_count = clients;
        self->respond(nsp, requester, std::move(r));
      },
      [self, nsp, requester = m.uid, id = *m.request_id](json::value first,
                                                         std::vector<std::string> attachments) {
        Message r;
        r.type = MessageType::broadcast_ack;
        r.request_id = id;
        r.packet = std::move(first);
        r.attachments = std::move(attachments);
        self->respond(nsp, requester, std::move(r));
      });
  if (!sent) count_malformed();
}

void ShardedClusterAdapter::fetch(const std::string& nsp, const Message& request) {
  local::fetch_sockets(server_, nsp, local::target_of(*request.opts),
                       [self = shared_from_this(), nsp, requester = request.uid,
                        id = *request.request_id](json::array sockets) {
                         Message r;
                         r.type = MessageType::fetch_sockets_response;
                         r.request_id = id;
                         r.sockets = std::move(sockets);
                         self->respond(nsp, requester, std::move(r));
                       });
}

// Runs on an event loop (after gathering, or inside a client's ack): the response carries
// what a client answered, so it is encoded within its bound, and a std::bad_alloc while
// encoding it loses this response only (see on_message).
void ShardedClusterAdapter::respond(const std::string& nsp, const std::string& requester_uid,
                                    Message response) {
  response.uid = uid_;
  response.nsp = nsp;
  cluster::Bound crossed = cluster::Bound::none;
  std::string bytes;
  auto memory = cluster::refuse_on_bad_alloc([&] {
    bytes = options_.msgpack_only
                ? cluster::sharded::encode_msgpack(response, options_.limits, &crossed)
                : cluster::sharded::encode(response, options_.limits, &crossed);
  });
  if (memory != cluster::Bound::none) crossed = memory;
  if (bytes.empty()) {
    if (crossed != cluster::Bound::none) return refuse(crossed, "response", 0);
    return local::warn_unencodable(options_.name, "response");
  }
  broker_->publish(cluster::sharded::room_channel(options_.key, nsp, requester_uid),
                   std::move(bytes), log_publish_failure);
}

}  // namespace pulseboard::gateway
