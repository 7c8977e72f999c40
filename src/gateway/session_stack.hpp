#pragma once
// How the gateway composes its session stack (websocket → engineio → the Socket.IO client): the
// layers' settings come from GatewayConfig, their counters go to GatewayMetrics, their refusal
// log lines share the gateway's budget, and a session that ends leaves the registry and gives its
// admission place back.
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "common/refusal_log.hpp"
#include "engineio/session.hpp"
#include "socketio/client_host.hpp"
#include "websocket/events.hpp"

namespace pulseboard::websocket {
class Transport;
}

namespace pulseboard::gateway {

struct GatewayContext;
struct Loop;

class SessionStack final : public eio::SessionHost, public websocket::Metrics, public RefusalLog {
 public:
  explicit SessionStack(GatewayContext& ctx) : ctx_(ctx) {}

  // eio::SessionHost
  const eio::Settings& settings() const override;
  void count(eio::Counter counter) override;
  RefusalLog& refusal_log() override { return *this; }
  void on_finished(const eio::Session& session) override;
  void on_destroyed(const std::string& address) override;
  // websocket::Metrics
  void count(websocket::Counter counter) override;

 private:
  bool may_log(std::uint64_t& left_out) override;
  GatewayContext& ctx_;
};

// What the Socket.IO layer of every session is given: the gateway's Socket.IO settings, its
// counters, its refusal log budget, its token verifier, retained messages and recovery store.
class SocketIoHost final : public socketio::ClientHost {
 public:
  explicit SocketIoHost(GatewayContext& ctx) : ctx_(ctx) {}

  const socketio::Settings& settings() const override;
  void count(socketio::Counter counter) override;
  RefusalLog& refusal_log() override;
  const auth::JwtVerifier* verifier() const override;
  const socketio::RetainedMessages& retained() const override;
  recovery::RecoveryStore* recovery() override;

 private:
  GatewayContext& ctx_;
};

// A session as the Engine.IO endpoint opens it: on `loop`, carrying a Socket.IO client.
// `address`: the admitted client address ("" not counted). Not yet registered nor opened.
std::shared_ptr<eio::Session> make_session(GatewayContext& ctx, Loop& loop, std::string sid,
                                           eio::Session::TransportKind kind,
                                           std::string address = {});
// A WebSocket transport on `loop` (the socket must belong to it).
std::shared_ptr<websocket::Transport> make_transport(GatewayContext& ctx, Loop& loop,
                                                     boost::asio::ip::tcp::socket socket);
// The loop whose io_context runs `session`.
Loop& loop_of(GatewayContext& ctx, eio::Session& session);
// Saves every socket of the session for connection state recovery again (the store lost what
// it held: Redis restarted). On the session's loop.
void save_for_recovery(eio::Session& session);

}  // namespace pulseboard::gateway
