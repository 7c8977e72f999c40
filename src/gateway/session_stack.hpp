#pragma once
// How the gateway composes its session stack (websocket → engineio → the Socket.IO client): the
// layers' settings come from GatewayConfig, their counters go to GatewayMetrics, their refusal
// log lines share the gateway's budget, and a session that ends leaves the registry and gives its
// admission place back.
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "common/log_limiter.hpp"
#include "common/refusal_log.hpp"
#include "engineio/session.hpp"
#include "net/stream.hpp"
#include "socketio/client_host.hpp"
#include "websocket/events.hpp"

namespace pulseboard::websocket {
class Transport;
}

namespace pulseboard::gateway {

struct GatewayConfig;
struct GatewayMetrics;
struct Loop;
class Admission;
class SessionRegistry;

// What the Socket.IO layer of every session is given: the gateway's Socket.IO settings, its
// counters, its refusal log budget, its token verifier, retained messages and recovery store.
class SocketIoHost final : public socketio::ClientHost {
 public:
  SocketIoHost(const GatewayConfig& config, GatewayMetrics& metrics, RefusalLog& log,
               std::shared_ptr<const auth::JwtVerifier> verifier,
               const socketio::RetainedMessages& retained)
      : config_(config),
        metrics_(metrics),
        log_(log),
        verifier_(std::move(verifier)),
        retained_(retained) {}

  const socketio::Settings& settings() const override;
  void count(socketio::Counter counter) override;
  RefusalLog& refusal_log() override { return log_; }
  const auth::JwtVerifier* verifier() const override { return verifier_.get(); }
  const socketio::RetainedMessages& retained() const override { return retained_; }
  recovery::RecoveryStore* recovery() override { return recovery_.get(); }
  void observe_recovery_lookup(std::chrono::steady_clock::duration took) override;

  // Connection state recovery (recovery_store.hpp); null when recovery is off. Set before the
  // sessions that use it are opened.
  const std::shared_ptr<recovery::RecoveryStore>& recovery_store() const { return recovery_; }
  void set_recovery_store(std::shared_ptr<recovery::RecoveryStore> store) {
    recovery_ = std::move(store);
  }

 private:
  const GatewayConfig& config_;
  GatewayMetrics& metrics_;
  RefusalLog& log_;
  std::shared_ptr<const auth::JwtVerifier> verifier_;
  const socketio::RetainedMessages& retained_;
  std::shared_ptr<recovery::RecoveryStore> recovery_;
};

// The hosts and metrics sinks of the transport and the session, on the gateway's config,
// counters, registry and admission; and the budget every log line a client causes shares
// (what it leaves out is counted in log_lines_suppressed_total).
class SessionStack final : public eio::SessionHost, public websocket::Metrics, public RefusalLog {
 public:
  struct Parts {
    const GatewayConfig& config;
    GatewayMetrics& metrics;
    SessionRegistry& sessions;
    Admission& admission;
    const socketio::RetainedMessages& retained;
    std::shared_ptr<const auth::JwtVerifier> verifier;  // null: anonymous sockets allowed
  };
  explicit SessionStack(Parts parts);

  // eio::SessionHost
  const eio::Settings& settings() const override;
  void count(eio::Counter counter) override;
  RefusalLog& refusal_log() override { return *this; }
  void on_finished(const eio::Session& session) override;
  void on_destroyed(const std::string& address) override;
  // websocket::Metrics
  void count(websocket::Counter counter) override;
  void deflated_bytes(std::uint64_t plain, std::uint64_t wire) override;
  void stream_messages_sent(std::uint64_t messages) override;

  SocketIoHost& socketio() { return socketio_; }
  const SocketIoHost& socketio() const { return socketio_; }

  // A session as the Engine.IO endpoint opens it: on `loop`, carrying a Socket.IO client.
  // `address`: the admitted client address ("" not counted). Not yet registered nor opened.
  std::shared_ptr<eio::Session> make_session(Loop& loop, std::string sid,
                                             eio::Session::TransportKind kind,
                                             std::string address = {});
  // A WebSocket transport on `loop` (the socket must belong to it).
  std::shared_ptr<websocket::Transport> make_transport(Loop& loop, net::Stream socket);

 private:
  bool may_log(std::uint64_t& left_out) override;
  const GatewayConfig& config_;
  GatewayMetrics& metrics_;
  SessionRegistry& sessions_;
  Admission& admission_;
  LogLimiter budget_{20};
  SocketIoHost socketio_;
};

// Saves every socket of the session for connection state recovery again (the store lost what
// it held: Redis restarted). On the session's loop.
void save_for_recovery(eio::Session& session);

}  // namespace pulseboard::gateway
