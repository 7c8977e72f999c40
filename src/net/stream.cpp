#include "net/stream.hpp"

#include <openssl/ssl.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace pulseboard::net {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// One TLS record's plaintext at most: what one decrypting read returns.
constexpr std::size_t kTlsReadBuffer = 16 * 1024;
// Gathered writes up to this size are copied into one buffer and sent with send() (see
// try_write).
constexpr std::size_t kCopyUpTo = 16 * 1024;

// One per thread: a loop's writes are synchronous on its thread.
std::span<char> thread_send_buffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kCopyUpTo]);
  return {buffer.get(), kCopyUpTo};
}
}  // namespace

// On the heap, so the stream and the read buffer stay where pending operations point when the
// Stream itself moves.
struct Stream::Tls {
  Tls(std::unique_ptr<TlsStream> s, std::shared_ptr<SslContext> c)
      : stream(std::move(s)), context(std::move(c)) {}
  std::unique_ptr<TlsStream> stream;
  std::shared_ptr<SslContext> context;
  std::array<char, kTlsReadBuffer> buffer;
  std::size_t begin = 0;  // decrypted bytes not yet taken: [begin, end)
  std::size_t end = 0;
};

Stream::Stream(tcp::socket socket) : plain_(std::move(socket)) {}

Stream::Stream(std::unique_ptr<TlsStream> tls, std::shared_ptr<SslContext> context)
    : tls_(std::make_unique<Tls>(std::move(tls), std::move(context))) {}

Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;
Stream::~Stream() = default;

Stream::executor_type Stream::get_executor() {
  return tls_ ? tls_->stream->get_executor() : plain_->get_executor();
}

namespace {
tcp::socket socket_on(asio::io_context& loop, tcp::socket& socket) {
  auto protocol = socket.local_endpoint().protocol();
  auto fd = socket.release();
  return tcp::socket(loop, protocol, fd);
}
}  // namespace

std::optional<Stream> Stream::move_to(asio::io_context& loop) {
  if (!tls_) return Stream(socket_on(loop, *plain_));
  SSL* ssl = tls_->stream->next_layer().native_handle();
  // Asio's TLS stream cannot change loops (its internal timers stay on the old one); a new
  // one adopts the OpenSSL object, which keeps the session's keys and sequence numbers. The
  // adoption replaces its BIOs, so nothing may be waiting in them.
  if (SSL_pending(ssl) > 0 || BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0 ||
      BIO_ctrl_wpending(SSL_get_wbio(ssl)) > 0 || tls_->begin < tls_->end)
    return std::nullopt;
  boost::beast::tcp_stream tcp(socket_on(loop, socket()));
  SSL_up_ref(ssl);  // the old stream frees its reference when it goes below
  auto moved = std::make_unique<TlsStream>(std::move(tcp), ssl);
  auto context = std::move(tls_->context);
  tls_.reset();
  return Stream(std::move(moved), std::move(context));
}

tcp::socket& Stream::socket() {
  return tls_ ? tls_->stream->next_layer().next_layer().socket() : *plain_;
}

TlsStream& Stream::tls_stream() {
  return *tls_->stream;
}

// A gathered write costs the kernel more per call than send() of the same bytes in one buffer:
// sendmsg() copies the iovec array in and walks it. A WebSocket frame is a header and a shared
// payload, two pieces; below kCopyUpTo, copying them together here costs less than that.
std::size_t Stream::try_write(std::span<const asio::const_buffer> buffers, ErrorCode& ec) {
  if (tls_) {
    ec = asio::error::would_block;
    return 0;
  }
  if (buffers.size() == 1) return plain_->write_some(buffers.front(), ec);
  if (asio::buffer_size(buffers) > kCopyUpTo) return plain_->write_some(buffers, ec);
  const std::span<char> copy = thread_send_buffer();
  const std::size_t n = asio::buffer_copy(asio::buffer(copy.data(), copy.size()), buffers);
  return plain_->write_some(asio::const_buffer(copy.data(), n), ec);
}

std::size_t Stream::try_read(asio::mutable_buffer buffer, ErrorCode& ec) {
  if (!tls_) return plain_->read_some(buffer, ec);
  const std::size_t n = std::min(buffer.size(), tls_->end - tls_->begin);
  if (n == 0) {
    ec = asio::error::would_block;
    return 0;
  }
  std::memcpy(buffer.data(), tls_->buffer.data() + tls_->begin, n);
  tls_->begin += n;
  ec = {};
  return n;
}

void Stream::tls_wait_readable(std::function<void(ErrorCode)> handler) {
  if (tls_->begin < tls_->end) {
    asio::post(get_executor(), [handler = std::move(handler)] { handler(ErrorCode{}); });
    return;
  }
  Tls* t = tls_.get();
  t->stream->async_read_some(asio::buffer(t->buffer),
                             [t, handler = std::move(handler)](ErrorCode ec, std::size_t n) {
                               t->begin = 0;
                               t->end = n;
                               handler(ec);
                             });
}

void Stream::close() {
  auto& s = socket();
  if (!s.is_open()) return;
  ErrorCode ignored;
  s.shutdown(tcp::socket::shutdown_both, ignored);
  s.close(ignored);
}

ServerStream::ServerStream(tcp::socket socket, const ServerTls* tls)
    : executor_(socket.get_executor()) {
  if (!tls) {
    plain_.emplace(std::move(socket));
    return;
  }
  context_ = tls->context();
  tls_ = std::make_unique<TlsStream>(boost::beast::tcp_stream(std::move(socket)), *context_);
}

void ServerStream::async_handshake(std::chrono::milliseconds timeout,
                                   std::function<void(ErrorCode)> done) {
  if (!tls_) {
    done({});
    return;
  }
  tcp().expires_after(timeout);
  tls_->next_layer().async_handshake(asio::ssl::stream_base::server, std::move(done));
}

Stream ServerStream::release() {
  tcp().expires_never();
  if (!tls_) return Stream(plain_->release_socket());
  return Stream(std::move(tls_), std::move(context_));
}

}  // namespace pulseboard::net
