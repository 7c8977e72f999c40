#pragma once
// The WebSocket transport of an Engine.IO session: one WebSocket message per Engine.IO packet
// (PROTOCOL.md §1.5), one reader and one writer. The writer drains the session's queue; while
// the socket is only probing an upgrade it writes its own small queue instead.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string_view>

#include "gateway/frame.hpp"
#include "http/handler.hpp"

namespace pulseboard::gateway {

class EngineSession;
struct GatewayContext;

class WsTransport : public std::enable_shared_from_this<WsTransport> {
 public:
  WsTransport(boost::asio::ip::tcp::socket socket, GatewayContext& ctx);

  // Completes the upgrade handshake for an already-read request; done(ok) on this socket's loop.
  void accept(http::Request request, std::function<void(bool)> done);
  void bind(std::shared_ptr<EngineSession> session, bool probe);
  void promote();  // the probe is now the session's transport
  void write_direct(Frame frame);
  void kick();  // the session queued frames
  void close(std::string_view reason);

 private:
  void read_next();
  void write_next();
  void finish_close();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  GatewayContext& ctx_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<EngineSession> session_;
  std::deque<Frame> direct_;
  bool draining_session_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  std::string close_reason_;
};

}  // namespace pulseboard::gateway
