#include "gateway/engine_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "gateway/ws_transport.hpp"

namespace pulseboard::gateway {
namespace {

namespace http = boost::beast::http;
constexpr std::string_view kTextPlain = "text/plain; charset=UTF-8";

const Frame& ping_frame() {
  static const Frame f = text_frame("2");
  return f;
}
const Frame& noop_frame() {
  static const Frame f = text_frame("6");
  return f;
}

}  // namespace

EngineSession::EngineSession(GatewayContext& ctx, Loop& loop, std::string sid, TransportKind kind,
                             std::string address)
    : ctx_(ctx),
      loop_(loop),
      sid_(std::move(sid)),
      address_(std::move(address)),
      kind_(kind),
      heartbeat_(loop.ioc),
      sio_(*this, ctx) {
  ctx_.metrics.sessions_open.fetch_add(1, std::memory_order_relaxed);
  ctx_.metrics.sessions_total.fetch_add(1, std::memory_order_relaxed);
}

EngineSession::~EngineSession() {
  ctx_.metrics.sessions_open.fetch_sub(1, std::memory_order_relaxed);
  if (!address_.empty()) ctx_.admission.release(address_);
}

void EngineSession::open() {
  const auto& c = ctx_.config;
  std::string open = eio::encode_text(
      eio::PacketType::open,
      eio::open_packet_json(sid_, kind_ == TransportKind::polling,
                            static_cast<std::uint32_t>(c.ping_interval.count()),
                            static_cast<std::uint32_t>(c.ping_timeout.count()), c.max_payload));
  send(text_frame(std::move(open)));
  schedule_ping();
  sio_.start();
}

bool EngineSession::send(const Frame& frame) {
  if (closed_) return false;
  const auto& c = ctx_.config;
  if (queue_.size() >= c.max_queued_frames ||
      queued_bytes_ + frame.data->size() > c.max_queued_bytes) {
    ctx_.metrics.reject(Rejection::send_queue_overflow);
    ctx_.log_refusal(spdlog::level::warn,
                     "session {} ({}): send queue overflow ({} frames, {} bytes): disconnecting",
                     sid_, address_, queue_.size(), queued_bytes_);
    queue_.clear();  // the backlog is the problem: only the close frame is still sent
    queued_bytes_ = 0;
    close(eio::CloseReason::send_queue_overflow);
    return false;
  }
  queue_.push_back(frame);
  queued_bytes_ += frame.data->size();
  ctx_.metrics.frames_queued_total.fetch_add(1, std::memory_order_relaxed);
  if (kind_ == TransportKind::websocket)
    kick_writer();
  else if (pending_get_)
    flush_poll();
  return true;
}

bool EngineSession::send_all(const std::vector<Frame>& frames) {
  for (const auto& f : frames)
    if (!send(f)) return false;
  return true;
}

void EngineSession::on_frame_written(std::size_t bytes) {
  queued_bytes_ = bytes > queued_bytes_ ? 0 : queued_bytes_ - bytes;
}

bool EngineSession::congested() const {
  if (kind_ == TransportKind::websocket) return !ws_ || ws_->congested();
  return !queue_.empty();
}

void EngineSession::kick_writer() {
  if (ws_) ws_->kick();
}

void EngineSession::schedule_ping() {
  awaiting_pong_ = false;
  heartbeat_.expires_after(ctx_.config.ping_interval);
  heartbeat_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_ping_timer();
  });
}

void EngineSession::on_ping_timer() {
  if (closed_) return;
  if (awaiting_pong_) {
    ctx_.metrics.reject(Rejection::ping_timeout);
    spdlog::debug("session {}: ping timeout", sid_);
    close(eio::CloseReason::ping_timeout);
    return;
  }
  awaiting_pong_ = true;
  send(ping_frame());
  if (!closed_) sio_.refresh_recovery();
  heartbeat_.expires_after(ctx_.config.ping_timeout);
  heartbeat_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_ping_timer();
  });
}

void EngineSession::on_packet(eio::Packet packet) {
  if (closed_) return;
  switch (packet.type) {
    case eio::PacketType::pong:
      if (awaiting_pong_) schedule_ping();
      return;
    case eio::PacketType::message: {
      bool ok = packet.binary ? sio_.on_binary(packet.data) : sio_.on_text(packet.data);
      if (!ok) {
        ctx_.metrics.reject(Rejection::socketio_parse_error);
        close(eio::CloseReason::parse_error);
      }
      return;
    }
    case eio::PacketType::close:
      close(eio::CloseReason::transport_close);
      return;
    case eio::PacketType::ping:  // v4: only the server pings
    case eio::PacketType::open:
    case eio::PacketType::upgrade:
    case eio::PacketType::noop:
      ctx_.metrics.reject(Rejection::engineio_parse_error);
      close(eio::CloseReason::transport_error);
      return;
  }
}

// Closing is two steps so that nothing is freed under a caller. close() runs inside handlers
// that still hold references into this session (a CONNECT whose reply overflowed the queue goes
// on to join rooms with its Socket&; a peer's socketsJoin walks a list of sockets): it only marks
// the session closed, stops its timers and tells the transports, all of which is safe with
// callers up the stack. The Socket.IO sockets, room membership and the registry entry are torn
// down by finish_close(), posted to this loop, so it runs after every caller has returned.
void EngineSession::close(eio::CloseReason reason) {
  if (closed_) return;
  closed_ = true;
  heartbeat_.cancel();
  upgrade_deadline_.reset();
  if (pending_get_) {
    auto respond = std::move(pending_get_);
    pending_get_ = nullptr;
    respond(http::status::ok, reason == eio::CloseReason::transport_close ? "6" : "1", kTextPlain);
  }
  if (ws_) ws_->close(reason);
  if (probe_) probe_->close(reason);
  queue_.clear();
  queued_bytes_ = 0;
  spdlog::debug("session {}: closed ({})", sid_, eio::to_string(reason));
  boost::asio::post(loop_.ioc, [self = shared_from_this(), reason] { self->finish_close(reason); });
}

void EngineSession::finish_close(eio::CloseReason reason) {
  sio_.on_close(reason);
  ctx_.sessions.remove(sid_);
  ws_.reset();
  probe_.reset();
  queue_.clear();
  queued_bytes_ = 0;
}

// ---- long-polling -------------------------------------------------------------------------

bool EngineSession::accepts_polling(const PollRespond& respond) {
  if (closed_) {
    respond(http::status::bad_request, eio::http_error_body(eio::HttpError::unknown_sid),
            "application/json");
    return false;
  }
  if (kind_ != TransportKind::polling) {  // upgraded: polling requests are a mismatch
    ctx_.metrics.reject(Rejection::transport_mismatch);
    respond(http::status::bad_request, eio::http_error_body(eio::HttpError::bad_request),
            "application/json");
    return false;
  }
  return true;
}

void EngineSession::poll_get(PollRespond respond) {
  if (!accepts_polling(respond)) return;
  if (pending_get_) {  // overlapping GET: refuse it, answer the first with close, and close
    ctx_.metrics.reject(Rejection::bad_request);
    respond(http::status::bad_request, "", kTextPlain);
    close(eio::CloseReason::transport_error);
    return;
  }
  pending_get_ = std::move(respond);
  if (!queue_.empty()) {
    flush_poll();
  } else if (probe_answered_) {
    // Upgrading: release every GET at once so the client can pause polling and send the
    // upgrade packet (Node sends these noops every 100 ms; answering at once is sooner).
    queue_.push_back(noop_frame());
    queued_bytes_ += 1;
    flush_poll();
  }
}

void EngineSession::flush_poll() {
  if (!pending_get_ || queue_.empty()) return;
  std::string body;
  std::size_t limit = ctx_.config.max_payload;
  while (!queue_.empty()) {
    const Frame& f = queue_.front();
    eio::Packet p;
    if (f.binary) {
      p.type = eio::PacketType::message;
      p.binary = true;
      p.data = *f.data;
    } else {
      auto decoded = eio::decode_text(*f.data);
      if (!decoded) {  // our own frames are always valid; drop defensively
        queue_.pop_front();
        continue;
      }
      p = std::move(*decoded);
    }
    if (!body.empty() && body.size() + f.data->size() > limit) break;
    eio::append_to_payload(body, p);
    queued_bytes_ -= std::min(queued_bytes_, f.data->size());
    queue_.pop_front();
  }
  auto respond = std::move(pending_get_);
  pending_get_ = nullptr;
  respond(http::status::ok, std::move(body), kTextPlain);
}

void EngineSession::poll_post(std::string body, bool binary_content_type, PollRespond respond) {
  if (!accepts_polling(respond)) return;
  if (binary_content_type) {  // v4 polling is always text
    ctx_.metrics.reject(Rejection::bad_request);
    respond(http::status::bad_request, eio::http_error_body(eio::HttpError::bad_request),
            "application/json");
    close(eio::CloseReason::transport_error);
    return;
  }
  auto packets = eio::decode_payload(body);
  if (!packets) {
    ctx_.metrics.reject(Rejection::engineio_parse_error);
    respond(http::status::bad_request, eio::http_error_body(eio::HttpError::bad_request),
            "application/json");
    close(eio::CloseReason::parse_error);
    return;
  }
  respond(http::status::ok, "ok", "text/html");
  auto self = shared_from_this();
  for (auto& p : *packets) {
    if (closed_) break;
    if (p.type == eio::PacketType::close) {
      // The pending GET gets a noop; the session closes.
      if (pending_get_) {
        auto get = std::move(pending_get_);
        pending_get_ = nullptr;
        get(http::status::ok, "6", kTextPlain);
      }
      close(eio::CloseReason::transport_close);
      break;
    }
    on_packet(std::move(p));
  }
}

// ---- WebSocket ----------------------------------------------------------------------------

void EngineSession::attach_websocket(std::shared_ptr<WsTransport> ws) {
  ws_ = std::move(ws);
  ws_->bind(shared_from_this(), /*probe=*/false);
  kick_writer();
}

void EngineSession::begin_probe(std::shared_ptr<WsTransport> ws) {
  if (closed_ || kind_ != TransportKind::polling || probe_) {
    // Already upgraded or probing: accept, then close that WebSocket, as engine.io does.
    ws->close(eio::CloseReason::transport_error);
    return;
  }
  probe_ = std::move(ws);
  probe_->bind(shared_from_this(), /*probe=*/true);
  upgrade_deadline_ =
      std::make_unique<boost::asio::steady_timer>(loop_.ioc, ctx_.config.upgrade_timeout);
  upgrade_deadline_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || !self->probe_) return;
    self->probe_->close(eio::CloseReason::upgrade_timeout);
    self->probe_.reset();
    self->probe_answered_ = false;
  });
}

void EngineSession::on_ws_text(WsTransport* from, std::string_view text) {
  if (closed_) return;
  auto packet = eio::decode_text(text);
  if (probe_ && from == probe_.get()) {
    if (packet && packet->type == eio::PacketType::ping && packet->data == "probe") {
      probe_->write_direct(text_frame("3probe"));
      probe_answered_ = true;
      // Free a waiting GET so the client can pause polling and send the upgrade.
      if (pending_get_) {
        queue_.push_front(noop_frame());
        queued_bytes_ += 1;
        flush_poll();
      }
      return;
    }
    if (packet && packet->type == eio::PacketType::upgrade) {
      complete_upgrade();
      return;
    }
    // Anything else on a probing WebSocket closes it; the session stays on polling.
    probe_->close(eio::CloseReason::transport_error);
    probe_.reset();
    probe_answered_ = false;
    return;
  }
  if (!ws_ || from != ws_.get()) return;
  if (!packet) {
    ctx_.metrics.reject(Rejection::engineio_parse_error);
    close(eio::CloseReason::parse_error);
    return;
  }
  on_packet(std::move(*packet));
}

void EngineSession::on_ws_binary(WsTransport* from, std::string_view bytes) {
  if (closed_ || !ws_ || from != ws_.get()) {
    if (probe_ && from == probe_.get()) {
      probe_->close(eio::CloseReason::transport_error);
      probe_.reset();
    }
    return;
  }
  on_packet(eio::from_binary(bytes));
}

void EngineSession::on_ws_closed(WsTransport* from, eio::CloseReason reason) {
  if (probe_ && from == probe_.get()) {
    probe_.reset();
    probe_answered_ = false;
    return;
  }
  if (ws_ && from == ws_.get()) {
    ws_.reset();
    close(reason);
  }
}

void EngineSession::complete_upgrade() {
  upgrade_deadline_.reset();
  kind_ = TransportKind::websocket;
  ws_ = std::move(probe_);
  probe_.reset();
  probe_answered_ = false;
  ws_->promote();
  ctx_.metrics.upgrades_total.fetch_add(1, std::memory_order_relaxed);
  if (pending_get_) {  // the polling transport is discarded: answer its GET with a noop
    auto get = std::move(pending_get_);
    pending_get_ = nullptr;
    get(http::status::ok, "6", kTextPlain);
  }
  kick_writer();
}

}  // namespace pulseboard::gateway
