#pragma once
// A server connection's byte stream, plain TCP or TLS over TCP, in two shapes:
//  - ServerStream: what an HTTP connection reads and writes. Both kinds sit on one
//    beast::tcp_stream, whose expiry bounds each step (the TLS handshake, a request, a
//    response). It is a Beast AsyncStream.
//  - Stream: the bytes after the HTTP layer handed them over (a WebSocket upgrade). Plain TCP is
//    the bare socket, read and written without blocking exactly as before TLS existed; TLS
//    reads and writes asynchronously, since OpenSSL's records cannot be cut where a
//    non-blocking socket stops taking bytes.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "net/server_tls.hpp"

namespace pulseboard::net {

// TLS over the tcp_stream. flat_stream writes a buffer sequence as one run of records, where
// asio::ssl::stream alone would write only the first buffer per call.
using TlsStream = boost::beast::flat_stream<boost::asio::ssl::stream<boost::beast::tcp_stream>>;
using ErrorCode = boost::system::error_code;

class Stream {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit Stream(boost::asio::ip::tcp::socket socket);
  // `context` is kept for as long as the connection: a reload must not free it under it.
  Stream(std::unique_ptr<TlsStream> tls, std::shared_ptr<SslContext> context);
  Stream(Stream&&) noexcept;
  Stream& operator=(Stream&&) noexcept;
  ~Stream();

  bool tls() const { return tls_ != nullptr; }
  executor_type get_executor();
  // The same connection run by `loop` instead (a WebSocket must live on its session's loop).
  // A TLS connection keeps its session state (the OpenSSL object moves over); it fails (returns
  // nullopt) only when bytes are buffered mid-stream, which a client waiting for the upgrade's
  // answer never has.
  std::optional<Stream> move_to(boost::asio::io_context& loop);
  // The TCP socket under either kind: options, is_open, shutdown, close.
  boost::asio::ip::tcp::socket& socket();

  // Without blocking (the socket is in non-blocking mode). Plain TCP: one system call writes
  // what the kernel takes: send() of the pieces copied together when they total at most 16 KiB,
  // else one gathered sendmsg(). TLS: takes nothing (would_block); write asynchronously instead.
  std::size_t try_write(std::span<const boost::asio::const_buffer> buffers, ErrorCode& ec);
  // Without blocking: plain TCP reads the socket; TLS hands out what the last readiness wait
  // decrypted. would_block when there is nothing.
  std::size_t try_read(boost::asio::mutable_buffer buffer, ErrorCode& ec);
  // Calls `handler(ec)` once try_read has something (or the connection failed or closed).
  template <class Handler>
  void async_wait_readable(Handler&& handler) {
    if (!tls_) {
      plain_->async_wait(boost::asio::ip::tcp::socket::wait_read, std::forward<Handler>(handler));
      return;
    }
    tls_wait_readable(std::function<void(ErrorCode)>(std::forward<Handler>(handler)));
  }
  // Writes all of `buffer`, then `handler(ec, bytes)`.
  template <class Handler>
  void async_write(boost::asio::const_buffer buffer, Handler&& handler) {
    if (tls_)
      boost::asio::async_write(tls_stream(), buffer, std::forward<Handler>(handler));
    else
      boost::asio::async_write(*plain_, buffer, std::forward<Handler>(handler));
  }

  // AsyncReadStream and AsyncWriteStream, for Beast's WebSocket handshake.
  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_)
      tls_stream().async_read_some(buffers, std::forward<Handler>(handler));
    else
      plain_->async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class Buffers, class Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (tls_)
      tls_stream().async_write_some(buffers, std::forward<Handler>(handler));
    else
      plain_->async_write_some(buffers, std::forward<Handler>(handler));
  }

  // Closes the TCP connection (no TLS close_notify: the peer is told by the WebSocket close).
  void close();
  friend void beast_close_socket(Stream& s) { s.close(); }
  template <class Handler>
  friend void async_teardown(boost::beast::role_type, Stream& s, Handler&& handler) {
    s.close();
    boost::asio::post(s.get_executor(),
                      [h = std::forward<Handler>(handler)]() mutable { h(ErrorCode{}); });
  }
  friend void teardown(boost::beast::role_type, Stream& s, ErrorCode& ec) {
    s.close();
    ec = {};
  }

 private:
  struct Tls;
  TlsStream& tls_stream();
  void tls_wait_readable(std::function<void(ErrorCode)> handler);

  std::optional<boost::asio::ip::tcp::socket> plain_;
  std::unique_ptr<Tls> tls_;
};

class ServerStream {
 public:
  using executor_type = boost::asio::any_io_executor;

  // TLS when `tls` is given (its current context), plain TCP otherwise.
  ServerStream(boost::asio::ip::tcp::socket socket, const ServerTls* tls);

  bool tls() const { return tls_ != nullptr; }
  executor_type get_executor() { return executor_; }
  // The expiry and the socket, under either kind.
  boost::beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer().next_layer() : *plain_; }
  // TLS: the server handshake, bounded by `timeout` (then beast::error::timeout). Plain: done.
  void async_handshake(std::chrono::milliseconds timeout, std::function<void(ErrorCode)> done);
  // The stream for its next owner; only get_executor() may be used on this one afterwards.
  Stream release();

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_)
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    else
      plain_->async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class Buffers, class Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (tls_)
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    else
      plain_->async_write_some(buffers, std::forward<Handler>(handler));
  }

 private:
  executor_type executor_;  // kept: the streams are gone after release()
  std::optional<boost::beast::tcp_stream> plain_;
  std::unique_ptr<TlsStream> tls_;
  std::shared_ptr<SslContext> context_;
};

}  // namespace pulseboard::net
