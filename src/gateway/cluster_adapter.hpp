#pragma once
// The gateway's side of the classic `@socket.io/redis-adapter` 8.3.0 protocol
// (docs/protocol-reference.md, Classic adapter and Emitter), so Pulseboard gateways, Node.js
// Socket.IO servers and `@socket.io/redis-emitter` can share one Redis:
//  - broadcasts published by any other node or emitter (`socket.io#<nsp>#[<room>#]`) are applied
//    to this gateway's own sockets (rooms, except, volatile, binary attachments);
//  - requests on `socket.io-request#<nsp>#` are answered: ALL_ROOMS, REMOTE_JOIN, REMOTE_LEAVE,
//    REMOTE_DISCONNECT, REMOTE_FETCH, SERVER_SIDE_EMIT and BROADCAST with acks, plus the legacy
//    single-socket forms. Subscribing the request channel is also what makes a Node server count
//    this gateway in `serverCount()`, so every request that waits for answers gets ours.
//
// The gateway itself originates no adapter traffic: everything it delivers comes from the bridge
// channel, to which every gateway subscribes, so re-publishing it here would deliver it twice.
// Messages carrying this gateway's own uid are ignored, as the Node adapter does.
//
// Whatever arrives on these channels is hostile until it is within Options::limits
// (cluster/limits.hpp): a message past a bound is dropped, counted in
// adapter_messages_over_limit and logged (rate-limited), and so is a response that would
// encode past its bound (a client's ack whose placeholders all name one large attachment).
#include <memory>
#include <string>
#include <string_view>

#include "broker/broker.hpp"
#include "cluster/adapter_codec.hpp"
#include "cluster/limits.hpp"

namespace pulseboard::gateway {

class Gateway;

class ClusterAdapter : public std::enable_shared_from_this<ClusterAdapter> {
 public:
  struct Options {
    std::string key = std::string(cluster::kDefaultKey);  // the Node adapter's `key` option
    cluster::Limits limits{};
  };

  // Subscribes for every namespace the server serves. The broker must support psubscribe
  // (classic pub/sub mode); handlers run on the broker's executor and never block it.
  static std::shared_ptr<ClusterAdapter> start(Gateway& server,
                                               std::shared_ptr<broker::Broker> broker,
                                               Options options);

  // Six URL-safe characters, as the Node adapter's uid2(6).
  const std::string& uid() const { return uid_; }

 private:
  ClusterAdapter(Gateway& server, std::shared_ptr<broker::Broker> broker, Options options);
  void subscribe(const std::string& nsp);
  // The message boundary: each runs its receive_* under refuse_on_bad_alloc.
  void on_broadcast(const std::string& nsp, std::string_view channel, std::string_view payload);
  void on_request(const std::string& nsp, std::string_view payload);
  void receive_broadcast(const std::string& nsp, std::string_view channel,
                         std::string_view payload);
  void receive_request(const std::string& nsp, std::string_view payload);
  void refuse(cluster::Bound bound, std::string_view what, std::size_t bytes);

  // Request handlers (cluster_adapter_requests.cpp).
  void answer_sockets(const std::string& nsp, const cluster::Request& request);
  void answer_all_rooms(const std::string& nsp, const cluster::Request& request);
  void apply_membership(const std::string& nsp, const cluster::Request& request, bool join);
  void apply_disconnect(const std::string& nsp, const cluster::Request& request);
  void answer_fetch(const std::string& nsp, const cluster::Request& request);
  void answer_server_side_emit(const std::string& nsp, const cluster::Request& request);
  void broadcast_with_ack(const std::string& nsp, const cluster::Request& request);
  void respond(const std::string& nsp, const cluster::Response& response);

  Gateway& server_;
  std::shared_ptr<broker::Broker> broker_;
  Options options_;
  std::string uid_;
};

}  // namespace pulseboard::gateway
