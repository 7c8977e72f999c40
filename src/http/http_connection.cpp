#include "http/http_connection.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "http/server.hpp"

namespace pulseboard::http {
namespace bhttp = boost::beast::http;

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when the coding list is `chunked` and nothing else (empty list elements aside): the only
// transfer coding this server decodes.
bool chunked_alone(std::string_view codings) {
  bool chunked = false;
  while (true) {
    auto comma = codings.find(',');
    auto coding = trim(codings.substr(0, comma));
    if (!coding.empty()) {
      if (chunked || !boost::beast::iequals(coding, "chunked")) return false;
      chunked = true;
    }
    if (comma == std::string_view::npos) return chunked;
    codings.remove_prefix(comma + 1);
  }
}
}  // namespace

HttpConnection::HttpConnection(boost::asio::ip::tcp::socket socket, Server& server,
                               std::size_t loop_index,
                               std::unique_ptr<ConnectionLimit::Lease> lease)
    : stream_(std::move(socket), server.config().tls.get()),
      server_(server),
      loop_index_(loop_index),
      lease_(std::move(lease)) {
  boost::system::error_code ec;
  auto ep = stream_.tcp().socket().remote_endpoint(ec);
  if (!ec) peer_ = ep.address();
}

void HttpConnection::start() {
  boost::asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->stream_.tls()) {
      self->read_header();
      return;
    }
    // The handshake holds the connection's lease (the per-address cap counts it) and is
    // bounded like a request: a peer that opens TCP and never finishes it is closed.
    auto timeout = std::min(self->server_.config().tls->handshake_timeout(),
                            self->server_.config().request_timeout);
    self->stream_.async_handshake(
        timeout, [self](boost::beast::error_code ec) { self->handshake_done(ec); });
  });
}

void HttpConnection::handshake_done(boost::beast::error_code ec) {
  if (!ec) {
    read_header();
    return;
  }
  const bool timed_out = ec == boost::beast::error::timeout;
  server_.config().tls->count_handshake_failure(timed_out ? net::HandshakeFailure::timeout
                                                          : net::HandshakeFailure::error);
  spdlog::debug("TLS handshake with {} failed: {}", peer_.to_string(), ec.message());
  close();
}

void HttpConnection::close() {
  boost::beast::error_code ignored;
  stream_.tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.tcp().socket().close(ignored);
}

void HttpConnection::read_header() {
  parser_.emplace();
  parser_->header_limit(kMaxHeaderBytes);
  parser_->body_limit(boost::none);  // enforced per route in read_body()
  head_ = false;
  route_ = nullptr;
  stream_.tcp().expires_after(server_.config().request_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                             self->header_read(ec);
                           });
}

void HttpConnection::header_read(boost::beast::error_code ec) {
  if (!ec) {
    read_body();
  } else if (ec == bhttp::error::header_limit) {
    server_.refuse(Refusal::oversized_header, peer_);
    fail_request(bhttp::status::request_header_fields_too_large, "header_too_large",
                 "request headers exceed 16 KiB");
  } else if (ec != bhttp::error::end_of_stream &&
             ec.category() == make_error_code(bhttp::error::bad_method).category()) {
    // Beast's parser refused the request line or a header.
    server_.refuse(Refusal::malformed_request, peer_);
    fail_request(bhttp::status::bad_request, "bad_request", ec.message());
  } else {
    // The peer went away or went quiet (timeout, reset): nobody to answer.
    stream_.tcp().socket().close();
  }
}

void HttpConnection::read_body() {
  head_ = parser_->get().method() == bhttp::verb::head;
  if (!framing_is_valid()) return;
  std::string_view target = parser_->get().target();
  route_ = server_.route_for(target.substr(0, target.find('?')));
  std::uint64_t limit = route_ ? route_->max_body : kMaxRequestBody;
  // Beast compares Content-Length with the limit while parsing the header, before we know the
  // route; check it here, and set the limit for chunked bodies.
  if (auto length = parser_->content_length(); length && *length > limit) {
    server_.refuse(Refusal::oversized_body, peer_);
    fail_body_too_large(limit);
    return;
  }
  parser_->body_limit(limit);
  stream_.tcp().expires_after(server_.config().request_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this(), limit](boost::beast::error_code ec, std::size_t) {
                      self->body_read(ec, limit);
                    });
}

void HttpConnection::body_read(boost::beast::error_code ec, std::uint64_t limit) {
  if (ec == bhttp::error::body_limit) {
    server_.refuse(Refusal::oversized_body, peer_);
    fail_body_too_large(limit);
    return;
  }
  if (ec) {
    stream_.tcp().socket().close();
    return;
  }
  stream_.tcp().expires_never();
  Request req = parser_->release();
  // After the body: Beast adds a chunked body's trailer fields to the header, and those lines
  // are part of the list too.
  combine_field_lines(req, "X-Forwarded-For");
  dispatch(std::move(req));
}

void HttpConnection::dispatch(Request&& req) {
  if (!route_) {
    server_.serve_builtin(std::move(req), responder());
  } else if (route_->upgrade) {
    route_->upgrade->handle(std::move(req), *this, responder());
  } else {
    route_->handler(std::move(req), responder());
  }
}

Respond HttpConnection::responder() {
  return [self = shared_from_this()](Response res) {
    boost::asio::post(self->stream_.get_executor(),
                      [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
  };
}

// Beast reads a Transfer-Encoding whose last coding is not `chunked` as "no body" and lets a
// Content-Length stand beside a coding it does not decode; either way the body's end is unknown
// and its bytes would be parsed as the next request (request smuggling behind a proxy that
// reads the framing differently). RFC 9112 §6.1 and §6.3: 400, then close.
bool HttpConnection::framing_is_valid() {
  const auto& req = parser_->get();
  if (req.count(bhttp::field::transfer_encoding) == 0) return true;
  if (req.version() >= 11 && req.count(bhttp::field::content_length) == 0 &&
      chunked_alone(combined_field(req, "Transfer-Encoding")))
    return true;
  server_.refuse(Refusal::malformed_request, peer_);
  fail_request(bhttp::status::bad_request, "bad_transfer_encoding",
               "Transfer-Encoding must be chunked alone, on HTTP/1.1, without Content-Length");
  return false;
}

void HttpConnection::write(Response response) {
  if (socket_taken_) return;
  auto res = std::make_shared<Response>(std::move(response));
  stream_.tcp().expires_after(server_.config().request_timeout);
  auto done = [self = shared_from_this(), keep_alive = res->keep_alive()](
                  boost::beast::error_code ec) { self->written(ec, keep_alive); };
  if (!head_) {
    bhttp::async_write(stream_, *res,
                       [done, res](boost::beast::error_code ec, std::size_t) { done(ec); });
    return;
  }
  // HEAD (RFC 9110 §9.3.2): the header a GET would get, Content-Length included, and no body on
  // any route; a body here would be read as the start of the next response.
  auto header_only = std::make_shared<bhttp::response_serializer<bhttp::string_body>>(*res);
  bhttp::async_write_header(
      stream_, *header_only,
      [done, res, header_only](boost::beast::error_code ec, std::size_t) { done(ec); });
}

void HttpConnection::written(boost::beast::error_code ec, bool keep_alive) {
  if (ec || !keep_alive) {
    close();
    return;
  }
  read_header();
}

void HttpConnection::fail_request(bhttp::status status, std::string_view code,
                                  std::string_view message, std::string_view extra_json_fields) {
  Request req;
  req.version(11);
  req.keep_alive(false);
  auto res = error_response(req, status, code, message, extra_json_fields);
  res.keep_alive(false);
  write(std::move(res));
}

// The same body as the orders API's own limit (rule and limit), so a client reads one shape.
void HttpConnection::fail_body_too_large(std::uint64_t limit) {
  fail_request(bhttp::status::payload_too_large, "body_too_large",
               "request body exceeds the limit of " + std::to_string(limit) + " bytes",
               R"("rule":"max_bytes","limit":)" + std::to_string(limit));
}

net::Stream HttpConnection::take_socket() {
  socket_taken_ = true;
  lease_.reset();
  return stream_.release();
}

}  // namespace pulseboard::http
