#pragma once
// The WebSocket transport of an Engine.IO session: one WebSocket message per Engine.IO packet
// (docs/protocol-reference.md, Engine.IO WebSocket transport). Boost.Beast performs the upgrade
// handshake; after it the transport reads and writes the socket itself (websocket/frame_parser.hpp,
// websocket/frame_header.hpp):
//  - Writes are gathered. Queuing a frame only marks the transport on its loop's FlushList;
//    the flush writes every frame queued by then, headers and shared broadcast buffers, in one
//    sendmsg(). A socket that cannot take everything gets the rest in one asynchronous write,
//    and its session queue (bounded) holds what arrives meanwhile.
//  - Reads wait for readability, then read into one buffer per thread, so an idle connection
//    holds no read buffer at all; only an incomplete frame is kept.
// While the socket only probes an upgrade it writes its own small queue instead of the session's.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/close_reason.hpp"
#include "gateway/frame.hpp"
#include "http/handler.hpp"
#include "websocket/frame_header.hpp"
#include "websocket/frame_parser.hpp"

namespace pulseboard::gateway {

class EngineSession;
struct GatewayContext;
struct Loop;

class WsTransport : public std::enable_shared_from_this<WsTransport>,
                    private websocket::FrameEvents {
 public:
  WsTransport(boost::asio::ip::tcp::socket socket, GatewayContext& ctx, Loop& loop);
  ~WsTransport() override;

  // Completes the upgrade handshake for an already-read request; done(ok) on this socket's loop.
  void accept(http::Request request, std::function<void(bool)> done);
  void bind(std::shared_ptr<EngineSession> session, bool probe);
  void promote();  // the probe is now the session's transport
  void write_direct(Frame frame);
  void kick();  // the session queued frames: write them at the end of this loop turn
  // Also for a WebSocket refused after its handshake (never bound to a session, say the sid's
  // session has upgraded already): it then starts reading, so the peer's close frame ends it
  // at once instead of the close deadline.
  void close(eio::CloseReason reason);
  // The socket did not take the last write: the kernel's send buffer is full.
  bool congested() const { return async_write_pending_; }

  // Writes what is queued (FlushList calls this once per loop turn).
  void flush();

 private:
  struct Outgoing {
    std::shared_ptr<const std::string> data;
    websocket::Opcode opcode;
  };

  // FrameEvents: what the parser found.
  void on_message(bool text, std::string_view payload) override;
  void on_ping(std::string_view payload) override;
  void on_close(std::uint16_t code, std::string_view reason) override;

  void wait_readable();
  void on_readable();
  void fail(websocket::FrameError error);
  void report_closed(eio::CloseReason reason);
  void cut(eio::CloseReason reason);  // report_closed, then close the socket at once
  void queue_close_frame(std::uint16_t code, std::string_view reason);
  // One gathered write of up to a batch of frames; false when the socket could not take it all
  // and an asynchronous write now carries the rest.
  bool write_batch();
  void on_close_frame_sent();
  void shutdown_socket();

  boost::asio::ip::tcp::socket socket_;
  GatewayContext& ctx_;
  Loop& loop_;
  websocket::FrameParser parser_;
  std::shared_ptr<EngineSession> session_;
  std::vector<Outgoing> direct_;  // probe answers, pongs, the close frame: before session frames
  std::shared_ptr<std::string> pending_pong_;  // at most one: the latest ping's payload
  std::string unsent_;  // what the socket did not take, while it is being written
  std::unique_ptr<boost::asio::steady_timer> close_deadline_;  // only while closing
  bool draining_session_ = false;
  bool flush_marked_ = false;
  bool async_write_pending_ = false;
  bool closing_ = false;           // close frame queued: no more session frames
  bool close_sent_ = false;        // close frame written: nothing more is written
  bool close_received_ = false;    // the peer's close frame arrived
  bool drop_after_close_ = false;  // failed connection: no need to wait for the peer's close
  bool reading_ = false;           // bound to a session, or closing: its frames are read
};

}  // namespace pulseboard::gateway
