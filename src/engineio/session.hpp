#pragma once
// One Engine.IO v4 session (docs/protocol-reference.md, Engine.IO v4): its transport
// (long-polling, WebSocket, or polling being upgraded), the outbound queue, the server-driven
// heartbeat and the close rules. It carries one protocol above it, its SessionHandler, and
// is the Events of its WebSocket transports. Every method runs on the session's own loop; other
// threads post to it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/status.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/close_reason.hpp"
#include "engineio/frame.hpp"
#include "engineio/frame_queue.hpp"
#include "engineio/packet.hpp"
#include "engineio/session_handler.hpp"
#include "engineio/session_host.hpp"
#include "websocket/events.hpp"

namespace pulseboard::websocket {
class Transport;
}

namespace pulseboard::eio {

// Answers one polling request: status, body, content type. Callable from the session's loop;
// it carries the response to the HTTP connection's own loop.
using PollRespond =
    std::function<void(boost::beast::http::status, std::string body, std::string_view type)>;

class Session final : public std::enable_shared_from_this<Session>, public websocket::Events {
 public:
  enum class TransportKind { polling, websocket };

  // `address`: the client address admitted for this session; the host is told when the session
  // is destroyed (SessionHost::on_destroyed). Empty: not counted.
  Session(SessionHost& host, boost::asio::io_context& ioc, std::string sid, TransportKind kind,
          std::string address = {});
  ~Session();

  // Before open(): the protocol this session carries.
  void set_handler(std::unique_ptr<SessionHandler> handler) { handler_ = std::move(handler); }
  SessionHandler* handler() { return handler_.get(); }

  const std::string& sid() const { return sid_; }
  const std::string& address() const { return address_; }
  boost::asio::io_context& ioc() { return ioc_; }
  TransportKind transport() const { return kind_; }
  bool closed() const { return closed_; }

  // Queues OPEN, starts the heartbeat, then tells the handler.
  void open();
  // Queues a frame. False when the session is closed or the send queue overflowed (the session
  // is then closed with CloseReason::send_queue_overflow).
  bool send(const Frame& frame);
  bool send_all(const std::vector<Frame>& frames);
  // True when a volatile packet should be dropped: the transport cannot take more right now
  // (the WebSocket's last write is still waiting for the socket, or no polling GET waits).
  bool congested() const;
  // Marks the session closed at once (nothing more is queued or read) and tears it down on a
  // later turn of its loop, so a caller up the stack never holds a freed Socket or session.
  void close(CloseReason reason);

  // Long-polling: a GET waits for packets; a POST carries a payload.
  void poll_get(PollRespond respond);
  void poll_post(std::string body, bool binary_content_type, PollRespond respond);

  // WebSocket: the session's first transport, or a probe to upgrade a polling session.
  void attach_websocket(std::shared_ptr<websocket::Transport> ws);
  void begin_probe(std::shared_ptr<websocket::Transport> ws);
  // What waits to be written.
  const FrameQueue& queue() const { return queue_; }
  // Ask the CPU to fetch, ahead of a send(), what it reads: first the session itself, then (once
  // that has arrived) its queue's frames and its WebSocket transport.
  void prefetch() const;
  void prefetch_writer() const;

  // websocket::Events: what its WebSocket transports read, and what they write.
  void on_text(websocket::Transport& from, std::string_view text) override;
  void on_binary(websocket::Transport& from, std::string_view bytes) override;
  void on_closed(websocket::Transport& from, websocket::Ending how) override;
  std::span<const websocket::Message> outbound() override { return queue_.pending(); }
  void on_written(std::size_t messages) override;

 private:
  // False (after answering with the documented error) when the session is closed or upgraded.
  bool accepts_polling(const PollRespond& respond);
  void on_packet(Packet packet);
  void on_probe_text(const std::optional<Packet>& packet);
  void drop_probe(CloseReason reason);
  void schedule_ping();
  void on_ping_timer();
  void flush_poll();
  void answer_pending_get(std::string_view body);
  void complete_upgrade();
  // Queues one frame (or closes the session on overflow); the writer is not woken.
  bool enqueue(const Frame& frame);
  void wake_writer();  // the transport, or a waiting polling GET, takes what is queued
  void kick_writer();
  void finish_close(CloseReason reason);

  // What queueing a broadcast frame reads comes first, in two cache lines: a broadcast touches
  // every recipient's session, and on a large gateway they do not fit in the CPU's cache.
  SessionHost& host_;
  TransportKind kind_;
  bool closed_ = false;
  bool awaiting_pong_ = false;
  bool probe_answered_ = false;  // 3probe sent: polling GETs are released at once
  std::size_t queued_bytes_ = 0;
  std::shared_ptr<websocket::Transport> ws_;
  FrameQueue queue_;

  boost::asio::io_context& ioc_;
  std::string sid_;
  std::string address_;
  PollRespond pending_get_;
  std::shared_ptr<websocket::Transport> probe_;

  boost::asio::steady_timer heartbeat_;
  // Only while a probe is upgrading the session: a timer costs 120 bytes, and most sessions
  // never upgrade.
  std::unique_ptr<boost::asio::steady_timer> upgrade_deadline_;
  std::unique_ptr<SessionHandler> handler_;
};

// Closes a transport of a session ending for `reason`: a shutdown says "going away" (1001).
void close_transport(websocket::Transport& ws, CloseReason reason);

}  // namespace pulseboard::eio
