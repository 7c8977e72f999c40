#pragma once
// A WebSocket connection after the upgrade (RFC 6455), carrying the messages of the layer above
// (Engine.IO: one message per packet), which it calls through websocket::Events. Boost.Beast
// performs the upgrade handshake; after it the transport reads and writes the socket itself
// (websocket/frame_parser.hpp, websocket/frame_header.hpp):
//  - Writes are gathered. Queuing a frame only marks the transport on its loop's FlushList;
//    the flush writes every frame queued by then, headers and shared broadcast buffers, in one
//    system call (net::Stream::try_write). A socket that cannot take everything gets the rest
//    in one asynchronous write, and the queue above (bounded) holds what arrives meanwhile.
//  - permessage-deflate (websocket/deflate.hpp), when the client offers it: a socket that agreed
//    sends the compressed form of a message, made once for every socket, with RSV1; a room's
//    broadcasts in their room's shared context while it follows that room's stream
//    (websocket/deflate_stream.hpp).
//  - Reads wait for readability, then read into one buffer per thread, so an idle connection
//    holds no read buffer at all; only an incomplete frame is kept.
// While the socket only probes an upgrade it writes its own small queue instead of the one above.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/refusal_log.hpp"
#include "net/stream.hpp"
#include "websocket/deflate_stream.hpp"
#include "websocket/events.hpp"
#include "websocket/flush_list.hpp"
#include "websocket/frame_header.hpp"
#include "websocket/frame_parser.hpp"

namespace pulseboard::websocket {

class Transport : public std::enable_shared_from_this<Transport>, private FrameEvents {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  // `flushes`: the list of the loop that runs this socket; `metrics` and `refusals` outlive it.
  Transport(net::Stream socket, Settings settings, Metrics& metrics, RefusalLog& refusals,
            FlushList<Transport>& flushes);
  ~Transport() override;

  // Completes the upgrade handshake for an already-read request; done(ok) on this socket's loop.
  void accept(Request request, std::function<void(bool)> done);
  // Reads for `events` and writes its queue (not while `probe`: only the transport's own).
  void bind(std::shared_ptr<Events> events, bool probe);
  void promote();  // the probe now writes the queue above too
  void write_direct(Message message);
  // The layer above queued messages: write them at the end of this loop turn, or at once while
  // the loop writes through (websocket/flush_list.hpp).
  void kick();
  // Sends a close frame with `code` and `reason`. Also for a WebSocket refused after its
  // handshake (never bound, say the sid's session has upgraded already): it then starts
  // reading, so the peer's close frame ends it at once instead of the close deadline.
  void close(std::uint16_t code, std::string_view reason);
  // The socket did not take the last write: the kernel's send buffer is full.
  bool congested() const { return async_write_pending_; }

  // Writes what is queued (FlushList calls this once per loop turn).
  void flush();
  // Asks the CPU to fetch what flush() reads, ahead of the call (a loop walking many sockets).
  void prefetch() const;

 private:
  struct Outgoing {
    std::shared_ptr<const std::string> data;
    Opcode opcode;
    bool deflatable = false;  // Message::deflatable
  };

  // FrameEvents: what the parser found.
  void on_message(bool text, std::string_view payload) override;
  void on_ping(std::string_view payload) override;
  void on_close(std::uint16_t code, std::string_view reason) override;

  void flush_later();  // marks the transport on the FlushList, once
  // A flush will come anyway: marked already, or when the pending asynchronous write completes;
  // or never again, once the close frame is written.
  bool flush_pending() const { return flush_marked_ || async_write_pending_ || close_sent_; }
  void agree_deflate(const DeflateAgreement& agreement);
  void wait_readable();
  void on_readable();
  void fail(FrameError error);
  void report_closed(Ending how);
  void cut(Ending how);  // report_closed, then close the socket at once
  bool draining_above() const { return draining_events_ && events_ && !closing_; }
  void queue_close_frame(std::uint16_t code, std::string_view reason);
  // One gathered write of up to a batch of frames; false when the socket could not take it all
  // and an asynchronous write now carries the rest.
  bool write_batch();
  void keep_unsent(std::size_t written);
  void write_unsent(bool has_close);
  void on_close_frame_sent();
  void shutdown_socket();

  // What every write reads comes first, in as few cache lines as will hold it: a broadcast to
  // 19,000 sockets touches each recipient's transport, and on a large gateway the transports do
  // not fit in the CPU's cache (docs/gateway.md, "Write path").
  FlushList<Transport>& flushes_;
  std::shared_ptr<Events> events_;
  bool draining_events_ = false;
  bool flush_marked_ = false;
  bool async_write_pending_ = false;
  bool closing_ = false;           // close frame queued: no more queued messages
  bool close_sent_ = false;        // close frame written: nothing more is written
  bool close_received_ = false;    // the peer's close frame arrived
  bool drop_after_close_ = false;  // failed connection: no need to wait for the peer's close
  bool reading_ = false;           // bound, or closing: its frames are read
  bool deflate_agreed_ = false;    // permessage-deflate (websocket/deflate.hpp)
  bool follows_streams_ = false;   // ... with our context kept (websocket/deflate_stream.hpp)
  StreamFollower follower_;
  std::shared_ptr<std::string> pending_pong_;  // at most one: the latest ping's payload
  std::vector<Outgoing> direct_;  // probe answers, pongs, the close frame: before queued ones
  std::string unsent_;            // what the socket did not take, while it is being written
  net::Stream socket_;            // plain TCP or TLS (net/stream.hpp)
  // Only when connecting, reading or closing.
  Metrics& metrics_;
  RefusalLog& refusals_;
  DeflateSettings deflate_;
  FrameParser parser_;
  std::unique_ptr<boost::asio::steady_timer> close_deadline_;  // only while closing
};

}  // namespace pulseboard::websocket
