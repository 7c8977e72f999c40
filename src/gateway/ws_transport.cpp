#include "gateway/ws_transport.hpp"

#include <spdlog/spdlog.h>

#include "gateway/context.hpp"
#include "gateway/engine_session.hpp"

namespace pulseboard::gateway {
namespace websocket = boost::beast::websocket;

WsTransport::WsTransport(boost::asio::ip::tcp::socket socket, GatewayContext& ctx)
    : ws_(std::move(socket)), ctx_(ctx) {
  ws_.read_message_max(ctx.config.max_payload);
  // Liveness is the Engine.IO heartbeat's job; Beast only bounds the handshake and close.
  websocket::stream_base::timeout t =
      websocket::stream_base::timeout::suggested(boost::beast::role_type::server);
  t.idle_timeout = websocket::stream_base::none();
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(boost::beast::http::field::server, "pulseboard");
  }));
}

void WsTransport::accept(http::Request request, std::function<void(bool)> done) {
  ws_.async_accept(
      request, [self = shared_from_this(), done = std::move(done)](boost::beast::error_code ec) {
        if (ec) spdlog::debug("websocket handshake failed: {}", ec.message());
        done(!ec);
      });
}

void WsTransport::bind(std::shared_ptr<EngineSession> session, bool probe) {
  session_ = std::move(session);
  draining_session_ = !probe;
  read_next();
}

void WsTransport::promote() {
  draining_session_ = true;
  kick();
}

void WsTransport::write_direct(Frame frame) {
  direct_.push_back(std::move(frame));
  kick();
}

void WsTransport::kick() {
  if (!writing_) write_next();
}

void WsTransport::write_next() {
  Frame frame;
  bool from_session = false;
  if (!direct_.empty()) {
    frame = std::move(direct_.front());
    direct_.pop_front();
  } else if (draining_session_ && session_ && !closing_ && !session_->outbound().empty()) {
    frame = std::move(session_->outbound().front());
    session_->outbound().pop_front();
    from_session = true;
  } else {
    if (closing_) finish_close();
    return;
  }
  writing_ = true;
  ws_.text(!frame.binary);
  auto data = frame.data;  // keeps the buffer alive until the write completes
  ws_.async_write(boost::asio::buffer(*data), [self = shared_from_this(), data, from_session](
                                                  boost::beast::error_code ec, std::size_t) {
    self->writing_ = false;
    if (from_session && self->session_) self->session_->on_frame_written(data->size());
    if (ec) {
      self->closing_ = true;
      self->close_sent_ = true;  // the stream is unusable: no close frame
      return;                    // the reader sees the error and reports the close
    }
    self->write_next();
  });
}

void WsTransport::close(std::string_view reason) {
  if (closing_) return;
  closing_ = true;
  close_reason_ = std::string(reason.substr(0, 120));  // a close frame holds at most 123 bytes
  if (!writing_) finish_close();
}

void WsTransport::finish_close() {
  if (close_sent_) return;
  close_sent_ = true;
  websocket::close_reason cr(websocket::close_code::normal);
  cr.reason = close_reason_;
  if (close_reason_ == "server shutting down") cr.code = websocket::close_code::going_away;
  ws_.async_close(
      cr, [self = shared_from_this()](boost::beast::error_code) { self->session_.reset(); });
}

void WsTransport::read_next() {
  ws_.async_read(buffer_, [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
    auto session = self->session_;
    if (ec) {
      std::string_view reason = "transport close";
      if (ec == websocket::error::message_too_big) {
        self->ctx_.metrics.reject(Rejection::oversized_message);
        reason = "transport error";
      } else if (ec == websocket::error::bad_frame_payload) {
        self->ctx_.metrics.reject(Rejection::invalid_utf8);
        reason = "transport error";
      } else if (ec != websocket::error::closed) {
        reason = "transport error";
      }
      if (session) session->on_ws_closed(self.get(), reason);
      self->session_.reset();
      return;
    }
    auto data = self->buffer_.cdata();
    std::string_view bytes(static_cast<const char*>(data.data()), data.size());
    if (session) {
      if (self->ws_.got_text())
        session->on_ws_text(self.get(), bytes);
      else
        session->on_ws_binary(self.get(), bytes);
    }
    self->buffer_.consume(self->buffer_.size());
    if (!self->session_) return;
    self->read_next();
  });
}

}  // namespace pulseboard::gateway
