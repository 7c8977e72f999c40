#pragma once
// One Engine.IO v4 session (docs/protocol-reference.md, Engine.IO v4): its transport (long-polling,
// WebSocket, or polling being upgraded), the outbound queue, the server-driven heartbeat and the
// close rules. Every method runs on the session's own loop; other threads post to it.
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/status.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engineio/close_reason.hpp"
#include "engineio/packet.hpp"
#include "gateway/context.hpp"
#include "gateway/frame.hpp"
#include "gateway/frame_queue.hpp"
#include "gateway/socketio_client.hpp"

namespace pulseboard::gateway {

class WsTransport;

// Answers one polling request: status, body, content type. Callable from the session's loop;
// it carries the response to the HTTP connection's own loop.
using PollRespond =
    std::function<void(boost::beast::http::status, std::string body, std::string_view type)>;

class EngineSession : public std::enable_shared_from_this<EngineSession> {
 public:
  enum class TransportKind { polling, websocket };

  // `address`: the client address admitted for this session (ctx.admission); its place is
  // given back when the session is destroyed. Empty: not counted.
  EngineSession(GatewayContext& ctx, Loop& loop, std::string sid, TransportKind kind,
                std::string address = {});
  ~EngineSession();

  const std::string& sid() const { return sid_; }
  const std::string& address() const { return address_; }
  Loop& loop() { return loop_; }
  GatewayContext& context() { return ctx_; }
  TransportKind transport() const { return kind_; }
  bool closed() const { return closed_; }

  // Queues OPEN and starts the heartbeat and the CONNECT deadline.
  void open();
  // Queues a frame. False when the session is closed or the send queue overflowed (the session
  // is then closed with "send queue overflow").
  bool send(const Frame& frame);
  bool send_all(const std::vector<Frame>& frames);
  // True when a volatile packet should be dropped: the transport cannot take more right now
  // (the WebSocket's last write is still waiting for the socket, or no polling GET waits).
  bool congested() const;
  // Marks the session closed at once (nothing more is queued or read) and tears it down on a
  // later turn of its loop, so a caller up the stack never holds a freed Socket or session.
  void close(eio::CloseReason reason);

  // Saves every socket of the session for connection state recovery again (the store lost
  // what it held: Redis restarted). On the session's loop.
  void save_for_recovery() {
    if (!closed_) sio_.refresh_recovery(true);
  }

  // Long-polling: a GET waits for packets; a POST carries a payload.
  void poll_get(PollRespond respond);
  void poll_post(std::string body, bool binary_content_type, PollRespond respond);

  // WebSocket: the session's first transport, or a probe to upgrade a polling session.
  void attach_websocket(std::shared_ptr<WsTransport> ws);
  void begin_probe(std::shared_ptr<WsTransport> ws);
  void on_ws_text(WsTransport* from, std::string_view text);
  void on_ws_binary(WsTransport* from, std::string_view bytes);
  void on_ws_closed(WsTransport* from, eio::CloseReason reason);
  // The WebSocket writer drains this queue.
  FrameQueue& outbound() { return queue_; }
  void on_frame_written(std::size_t bytes);

 private:
  // False (after answering with the documented error) when the session is closed or upgraded.
  bool accepts_polling(const PollRespond& respond);
  void on_packet(eio::Packet packet);
  void schedule_ping();
  void on_ping_timer();
  void flush_poll();
  void complete_upgrade();
  void kick_writer();
  void finish_close(eio::CloseReason reason);

  GatewayContext& ctx_;
  Loop& loop_;
  std::string sid_;
  std::string address_;
  TransportKind kind_;
  bool closed_ = false;
  bool awaiting_pong_ = false;
  bool probe_answered_ = false;  // 3probe sent: polling GETs are released at once

  FrameQueue queue_;
  std::size_t queued_bytes_ = 0;
  PollRespond pending_get_;
  std::shared_ptr<WsTransport> ws_;
  std::shared_ptr<WsTransport> probe_;

  boost::asio::steady_timer heartbeat_;
  // Only while a probe is upgrading the session: a timer costs 120 bytes, and most sessions
  // never upgrade.
  std::unique_ptr<boost::asio::steady_timer> upgrade_deadline_;
  SocketIoClient sio_;
};

}  // namespace pulseboard::gateway
