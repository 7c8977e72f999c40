#include "engineio/session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "common/prefetch.hpp"
#include "websocket/transport.hpp"

namespace pulseboard::eio {
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

void close_transport(websocket::Transport& ws, CloseReason reason) {
  namespace code = websocket::close_code;
  ws.close(reason == CloseReason::server_shutting_down ? code::going_away : code::normal,
           to_string(reason));
}

Session::Session(SessionHost& host, boost::asio::io_context& ioc, std::string sid,
                 TransportKind kind, std::string address)
    : host_(host),
      kind_(kind),
      ioc_(ioc),
      sid_(std::move(sid)),
      address_(std::move(address)),
      heartbeat_(ioc) {
  host_.count(Counter::session_opened);
}

Session::~Session() {
  host_.count(Counter::session_closed);
  host_.on_destroyed(address_);
}

void Session::open() {
  const Settings& c = host_.settings();
  std::string open = encode_text(
      PacketType::open,
      open_packet_json(sid_, kind_ == TransportKind::polling,
                       static_cast<std::uint32_t>(c.ping_interval.count()),
                       static_cast<std::uint32_t>(c.ping_timeout.count()), c.max_payload));
  send(text_frame(std::move(open)));
  schedule_ping();
  if (handler_) handler_->on_open();
}

void Session::prefetch() const {
  // The members send() reads: the first ones, through queue_ (see the declaration order).
  prefetch_lines(this, &queue_ + 1);
}

void Session::prefetch_writer() const {
  if (queue_.capacity() > 0) __builtin_prefetch(queue_.next_slot(), 1);  // to be written
  if (ws_) ws_->prefetch();
}

bool Session::send(const Frame& frame) {
  if (!enqueue(frame)) return false;
  wake_writer();
  return true;
}

bool Session::send_all(const std::vector<Frame>& frames) {
  for (const auto& f : frames)
    if (!enqueue(f)) return false;
  wake_writer();  // once: a write-through writes every frame of a broadcast in one go
  return !closed_;
}

bool Session::enqueue(const Frame& frame) {
  if (closed_) return false;
  // A newer latest-value frame takes the place of the waiting one: a reader that fell behind
  // gets the newest state when it catches up, and its queue does not grow for it.
  if (auto replaced = queue_.replace(frame)) {
    queued_bytes_ = queued_bytes_ - std::min(queued_bytes_, *replaced) + frame.data->size();
    host_.count(Counter::frame_conflated);
    return true;
  }
  const Settings& c = host_.settings();
  if (queue_.size() >= c.max_queued_frames ||
      queued_bytes_ + frame.data->size() > c.max_queued_bytes) {
    host_.count(Counter::send_queue_overflow);
    host_.refusal_log().log(
        spdlog::level::warn,
        "session {} ({}): send queue overflow ({} frames, {} bytes): disconnecting", sid_, address_,
        queue_.size(), queued_bytes_);
    queue_.clear();  // the backlog is the problem: only the close frame is still sent
    queued_bytes_ = 0;
    close(CloseReason::send_queue_overflow);
    return false;
  }
  queue_.push_back(frame);
  queued_bytes_ += frame.data->size();
  host_.count(Counter::frame_queued);
  return true;
}

void Session::wake_writer() {
  if (closed_) return;
  if (kind_ == TransportKind::websocket)
    kick_writer();
  else if (pending_get_)
    flush_poll();
}

void Session::on_written(std::size_t messages) {
  for (std::size_t i = 0; i < messages && !queue_.empty(); ++i) {
    const std::size_t bytes = queue_.front().data->size();
    queued_bytes_ = bytes > queued_bytes_ ? 0 : queued_bytes_ - bytes;
    queue_.pop_front();
  }
}

bool Session::congested() const {
  if (kind_ == TransportKind::websocket) return !ws_ || ws_->congested();
  return !queue_.empty();
}

void Session::kick_writer() {
  if (ws_) ws_->kick();
}

void Session::schedule_ping() {
  awaiting_pong_ = false;
  heartbeat_.expires_after(host_.settings().ping_interval);
  heartbeat_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_ping_timer();
  });
}

void Session::on_ping_timer() {
  if (closed_) return;
  if (awaiting_pong_) {
    host_.count(Counter::ping_timeout);
    spdlog::debug("session {}: ping timeout", sid_);
    close(CloseReason::ping_timeout);
    return;
  }
  awaiting_pong_ = true;
  send(ping_frame());
  if (!closed_ && handler_) handler_->on_heartbeat();
  heartbeat_.expires_after(host_.settings().ping_timeout);
  heartbeat_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_ping_timer();
  });
}

void Session::on_packet(Packet packet) {
  if (closed_) return;
  switch (packet.type) {
    case PacketType::pong:
      if (awaiting_pong_) schedule_ping();
      return;
    case PacketType::message: {
      const bool ok = !handler_ || (packet.binary ? handler_->on_binary_message(packet.data)
                                                  : handler_->on_message(packet.data));
      if (!ok) {
        host_.count(Counter::message_refused);
        close(CloseReason::parse_error);
      }
      return;
    }
    case PacketType::close:
      close(CloseReason::transport_close);
      return;
    case PacketType::ping:  // v4: only the server pings
    case PacketType::open:
    case PacketType::upgrade:
    case PacketType::noop:
      host_.count(Counter::packet_invalid);
      close(CloseReason::transport_error);
      return;
  }
}

// Closing is two steps so that nothing is freed under a caller. close() runs inside handlers
// that still hold references into this session (a CONNECT whose reply overflowed the queue goes
// on to join rooms with its Socket&; a peer's socketsJoin walks a list of sockets): it only marks
// the session closed, stops its timers and tells the transports, all of which is safe with
// callers up the stack. The handler's state (Socket.IO sockets, room membership) and the host's
// registry entry are torn down by finish_close(), posted to this loop, so it runs after every
// caller has returned.
void Session::close(CloseReason reason) {
  if (closed_) return;
  closed_ = true;
  heartbeat_.cancel();
  upgrade_deadline_.reset();
  answer_pending_get(reason == CloseReason::transport_close ? "6" : "1");
  if (ws_) close_transport(*ws_, reason);
  if (probe_) close_transport(*probe_, reason);
  queue_.clear();
  queued_bytes_ = 0;
  spdlog::debug("session {}: closed ({})", sid_, to_string(reason));
  boost::asio::post(ioc_, [self = shared_from_this(), reason] { self->finish_close(reason); });
}

void Session::finish_close(CloseReason reason) {
  if (handler_) handler_->on_close(reason);
  host_.on_finished(*this);
  ws_.reset();
  probe_.reset();
  queue_.clear();
  queued_bytes_ = 0;
}

void Session::answer_pending_get(std::string_view body) {
  if (!pending_get_) return;
  auto respond = std::move(pending_get_);
  pending_get_ = nullptr;
  respond(http::status::ok, std::string(body), kTextPlain);
}

// ---- long-polling -------------------------------------------------------------------------

bool Session::accepts_polling(const PollRespond& respond) {
  if (closed_) {
    respond(http::status::bad_request, http_error_body(HttpError::unknown_sid), "application/json");
    return false;
  }
  if (kind_ != TransportKind::polling) {  // upgraded: polling requests are a mismatch
    host_.count(Counter::transport_mismatch);
    respond(http::status::bad_request, http_error_body(HttpError::bad_request), "application/json");
    return false;
  }
  return true;
}

void Session::poll_get(PollRespond respond) {
  if (!accepts_polling(respond)) return;
  if (pending_get_) {  // overlapping GET: refuse it, answer the first with close, and close
    host_.count(Counter::bad_request);
    respond(http::status::bad_request, "", kTextPlain);
    close(CloseReason::transport_error);
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

void Session::flush_poll() {
  if (!pending_get_ || queue_.empty()) return;
  std::string body;
  const std::size_t limit = host_.settings().max_payload;
  while (!queue_.empty()) {
    const Frame& f = queue_.front();
    Packet p;
    if (f.binary) {
      p.type = PacketType::message;
      p.binary = true;
      p.data = *f.data;
    } else {
      auto decoded = decode_text(*f.data);
      if (!decoded) {  // our own frames are always valid; drop defensively
        queue_.pop_front();
        continue;
      }
      p = std::move(*decoded);
    }
    if (!body.empty() && body.size() + f.data->size() > limit) break;
    append_to_payload(body, p);
    queued_bytes_ -= std::min(queued_bytes_, f.data->size());
    queue_.pop_front();
  }
  auto respond = std::move(pending_get_);
  pending_get_ = nullptr;
  respond(http::status::ok, std::move(body), kTextPlain);
}

void Session::poll_post(std::string body, bool binary_content_type, PollRespond respond) {
  if (!accepts_polling(respond)) return;
  if (binary_content_type) {  // v4 polling is always text
    host_.count(Counter::bad_request);
    respond(http::status::bad_request, http_error_body(HttpError::bad_request), "application/json");
    close(CloseReason::transport_error);
    return;
  }
  auto packets = decode_payload(body);
  if (!packets) {
    host_.count(Counter::packet_invalid);
    respond(http::status::bad_request, http_error_body(HttpError::bad_request), "application/json");
    close(CloseReason::parse_error);
    return;
  }
  respond(http::status::ok, "ok", "text/html");
  auto self = shared_from_this();
  for (auto& p : *packets) {
    if (closed_) break;
    if (p.type == PacketType::close) {
      answer_pending_get("6");  // the pending GET gets a noop; the session closes
      close(CloseReason::transport_close);
      break;
    }
    on_packet(std::move(p));
  }
}

// ---- WebSocket ----------------------------------------------------------------------------

void Session::attach_websocket(std::shared_ptr<websocket::Transport> ws) {
  ws_ = std::move(ws);
  ws_->bind(std::shared_ptr<websocket::Events>(shared_from_this(), this), /*probe=*/false);
  kick_writer();
}

void Session::begin_probe(std::shared_ptr<websocket::Transport> ws) {
  if (closed_ || kind_ != TransportKind::polling || probe_) {
    // Already upgraded or probing: accept, then close that WebSocket, as engine.io does.
    close_transport(*ws, CloseReason::transport_error);
    return;
  }
  probe_ = std::move(ws);
  probe_->bind(std::shared_ptr<websocket::Events>(shared_from_this(), this), /*probe=*/true);
  upgrade_deadline_ =
      std::make_unique<boost::asio::steady_timer>(ioc_, host_.settings().upgrade_timeout);
  upgrade_deadline_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || !self->probe_) return;
    self->drop_probe(CloseReason::upgrade_timeout);
  });
}

void Session::drop_probe(CloseReason reason) {
  close_transport(*probe_, reason);
  probe_.reset();
  probe_answered_ = false;
}

void Session::on_text(websocket::Transport& from, std::string_view text) {
  if (closed_) return;
  auto packet = decode_text(text);
  if (probe_ && &from == probe_.get()) {
    on_probe_text(packet);
    return;
  }
  if (!ws_ || &from != ws_.get()) return;
  if (!packet) {
    host_.count(Counter::packet_invalid);
    close(CloseReason::parse_error);
    return;
  }
  on_packet(std::move(*packet));
}

void Session::on_probe_text(const std::optional<Packet>& packet) {
  if (packet && packet->type == PacketType::ping && packet->data == "probe") {
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
  if (packet && packet->type == PacketType::upgrade) {
    complete_upgrade();
    return;
  }
  // Anything else on a probing WebSocket closes it; the session stays on polling.
  drop_probe(CloseReason::transport_error);
}

void Session::on_binary(websocket::Transport& from, std::string_view bytes) {
  if (closed_ || !ws_ || &from != ws_.get()) {
    if (probe_ && &from == probe_.get()) {
      close_transport(*probe_, CloseReason::transport_error);
      probe_.reset();
    }
    return;
  }
  on_packet(from_binary(bytes));
}

void Session::on_closed(websocket::Transport& from, websocket::Ending how) {
  if (probe_ && &from == probe_.get()) {
    probe_.reset();
    probe_answered_ = false;
    return;
  }
  if (ws_ && &from == ws_.get()) {
    ws_.reset();
    close(how == websocket::Ending::closed ? CloseReason::transport_close
                                           : CloseReason::transport_error);
  }
}

void Session::complete_upgrade() {
  upgrade_deadline_.reset();
  kind_ = TransportKind::websocket;
  ws_ = std::move(probe_);
  probe_.reset();
  probe_answered_ = false;
  ws_->promote();
  host_.count(Counter::upgraded);
  answer_pending_get("6");  // the polling transport is discarded: its GET gets a noop
  kick_writer();
}

}  // namespace pulseboard::eio
