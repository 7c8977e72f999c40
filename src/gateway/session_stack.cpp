#include "gateway/session_stack.hpp"

#include "gateway/admission.hpp"
#include "gateway/config.hpp"
#include "gateway/loop.hpp"
#include "gateway/metrics.hpp"
#include "socketio/socketio_client.hpp"
#include "websocket/transport.hpp"

namespace pulseboard::gateway {

SessionStack::SessionStack(Parts parts)
    : config_(parts.config),
      metrics_(parts.metrics),
      sessions_(parts.sessions),
      admission_(parts.admission),
      socketio_(parts.config, parts.metrics, *this, std::move(parts.verifier), parts.retained) {}

const eio::Settings& SessionStack::settings() const {
  return config_;
}

void SessionStack::count(eio::Counter counter) {
  auto& m = metrics_;
  constexpr auto relaxed = std::memory_order_relaxed;
  switch (counter) {
    case eio::Counter::session_opened:
      m.sessions_open.fetch_add(1, relaxed);
      m.sessions_total.fetch_add(1, relaxed);
      return;
    case eio::Counter::session_closed:
      m.sessions_open.fetch_sub(1, relaxed);
      return;
    case eio::Counter::frame_queued:
      m.frames_queued_total.fetch_add(1, relaxed);
      return;
    case eio::Counter::frame_conflated:
      m.frames_conflated_total.fetch_add(1, relaxed);
      return;
    case eio::Counter::upgraded:
      m.upgrades_total.fetch_add(1, relaxed);
      return;
    case eio::Counter::send_queue_overflow:
      return m.reject(Rejection::send_queue_overflow);
    case eio::Counter::ping_timeout:
      return m.reject(Rejection::ping_timeout);
    case eio::Counter::packet_invalid:
      return m.reject(Rejection::engineio_parse_error);
    case eio::Counter::message_refused:
      return m.reject(Rejection::socketio_parse_error);
    case eio::Counter::transport_mismatch:
      return m.reject(Rejection::transport_mismatch);
    case eio::Counter::bad_request:
      return m.reject(Rejection::bad_request);
  }
}

void SessionStack::count(websocket::Counter counter) {
  auto& m = metrics_;
  switch (counter) {
    case websocket::Counter::control_queue_overflow:
      return m.reject(Rejection::control_queue_overflow);
    case websocket::Counter::oversized_message:
      return m.reject(Rejection::oversized_message);
    case websocket::Counter::invalid_utf8:
      return m.reject(Rejection::invalid_utf8);
    case websocket::Counter::protocol_error:
      return m.reject(Rejection::websocket_protocol_error);
    case websocket::Counter::pong_coalesced:
      m.pongs_coalesced_total.fetch_add(1, std::memory_order_relaxed);
      return;
    case websocket::Counter::deflate_agreed:
      m.ws_deflate_connections.fetch_add(1, std::memory_order_relaxed);
      return;
    case websocket::Counter::deflate_ended:
      m.ws_deflate_connections.fetch_sub(1, std::memory_order_relaxed);
      return;
    case websocket::Counter::payload_deflated:
      m.ws_deflate_messages_compressed.fetch_add(1, std::memory_order_relaxed);
      return;
    case websocket::Counter::inflate_too_big:
      m.ws_inflate_too_big.fetch_add(1, std::memory_order_relaxed);
      return;
  }
}

void SessionStack::deflated_bytes(std::uint64_t plain, std::uint64_t wire) {
  metrics_.ws_deflate_plain_bytes.fetch_add(plain, std::memory_order_relaxed);
  metrics_.ws_deflate_wire_bytes.fetch_add(wire, std::memory_order_relaxed);
}

void SessionStack::stream_messages_sent(std::uint64_t messages) {
  metrics_.ws_deflate_stream_messages_sent.fetch_add(messages, std::memory_order_relaxed);
}

void SessionStack::on_finished(const eio::Session& session) {
  sessions_.remove(session.sid());
}

void SessionStack::on_destroyed(const std::string& address) {
  if (!address.empty()) admission_.release(address);
}

bool SessionStack::may_log(std::uint64_t& left_out) {
  auto admitted = budget_.admit();
  if (!admitted) {
    metrics_.log_lines_suppressed_total.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  left_out = *admitted;
  return true;
}

const socketio::Settings& SocketIoHost::settings() const {
  return config_;
}

void SocketIoHost::count(socketio::Counter counter) {
  using enum socketio::Counter;
  auto& m = metrics_;
  constexpr auto relaxed = std::memory_order_relaxed;
  switch (counter) {
    case unknown_namespace:
      return m.reject(Rejection::unknown_namespace);
    case auth_failed:
      return m.reject(Rejection::auth_failed);
    case connect_timeout:
      return m.reject(Rejection::connect_timeout);
    case event_rate:
      return m.reject(Rejection::event_rate);
    case room_limit:
      return m.reject(Rejection::room_limit);
    case connect_attempts:
      return m.reject(Rejection::connect_attempts);
    case connect_rate:
      return m.reject(Rejection::connect_rate);
    case namespace_too_long:
      return m.reject(Rejection::namespace_too_long);
    case visibility_invalid:
      return m.reject(Rejection::visibility_invalid);
    case socket_connected:
      m.sockets_connected.fetch_add(1, relaxed);
      return;
    case socket_removed:
      m.sockets_connected.fetch_sub(1, relaxed);
      return;
    case socket_hidden:
      m.hidden_sockets.fetch_add(1, relaxed);
      return;
    case socket_unhidden:
      m.hidden_sockets.fetch_sub(1, relaxed);
      return;
    case hidden_frame_held:
      m.hidden_frames_held.fetch_add(1, relaxed);
      return;
    case hidden_frame_dropped:
      m.hidden_frames_dropped.fetch_add(1, relaxed);
      return;
    case recovery_attempted:
      m.recoveries_attempted.fetch_add(1, relaxed);
      return;
    case recovery_succeeded:
      m.recoveries_succeeded.fetch_add(1, relaxed);
      return;
    case recovery_rate_limited:
      m.recoveries_rate_limited.fetch_add(1, relaxed);
      return;
    case recovery_beyond_bound:
      m.recoveries_beyond_bound.fetch_add(1, relaxed);
      return;
    case recovery_timed_out:
      m.recoveries_timed_out.fetch_add(1, relaxed);
      return;
  }
}

void SocketIoHost::observe_recovery_lookup(std::chrono::steady_clock::duration took) {
  metrics_.recovery_lookup_latency.observe(std::chrono::duration<double>(took).count());
}

std::shared_ptr<eio::Session> SessionStack::make_session(Loop& loop, std::string sid,
                                                         eio::Session::TransportKind kind,
                                                         std::string address) {
  auto session =
      std::make_shared<eio::Session>(*this, loop.ioc, std::move(sid), kind, std::move(address));
  session->set_handler(std::make_unique<socketio::SocketIoClient>(*session, socketio_, loop));
  return session;
}

std::shared_ptr<websocket::Transport> SessionStack::make_transport(Loop& loop, net::Stream socket) {
  return std::make_shared<websocket::Transport>(
      std::move(socket),
      websocket::Settings{.max_message_bytes = config_.max_payload, .deflate = config_.ws_deflate},
      *this, *this, loop.flushes);
}

void save_for_recovery(eio::Session& session) {
  if (session.closed()) return;
  if (auto* client = dynamic_cast<socketio::SocketIoClient*>(session.handler()))
    client->refresh_recovery(true);
}

}  // namespace pulseboard::gateway
