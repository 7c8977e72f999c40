#include "gateway/http_connection.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "gateway/server.hpp"

namespace pulseboard::gateway {
namespace bhttp = boost::beast::http;

namespace {
constexpr auto kHeaderTimeout = std::chrono::seconds(30);
constexpr auto kIdleTimeout = std::chrono::seconds(75);
}  // namespace

HttpConnection::HttpConnection(boost::asio::ip::tcp::socket socket, Server& server, Loop& loop)
    : stream_(std::move(socket)), server_(server), loop_(loop) {
  boost::system::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) peer_ = ep.address();
}

void HttpConnection::start() {
  boost::asio::dispatch(stream_.get_executor(),
                        [self = shared_from_this()] { self->read_header(); });
}

void HttpConnection::read_header() {
  parser_.emplace();
  parser_->header_limit(16 * 1024);
  parser_->body_limit(boost::none);  // enforced per route in read_body()
  // A new connection must send its first request within the header timeout; only between
  // requests of a kept-alive connection does the longer idle timeout apply.
  stream_.expires_after(buffer_.size() > 0 || !served_one_ ? kHeaderTimeout : kIdleTimeout);
  bhttp::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
        if (!ec) {
          self->read_body();
          return;
        }
        auto& metrics = self->server_.ctx_.metrics;
        if (ec == bhttp::error::header_limit) {
          metrics.reject(Rejection::oversized_http_header);
          self->fail_request(bhttp::status::request_header_fields_too_large, "header_too_large",
                             "request headers exceed 16 KiB");
        } else if (ec != bhttp::error::end_of_stream &&
                   ec.category() == make_error_code(bhttp::error::bad_method).category()) {
          // Beast's parser refused the request line or a header.
          metrics.reject(Rejection::malformed_http_request);
          self->fail_request(bhttp::status::bad_request, "bad_request", ec.message());
        } else {
          // The peer went away or went quiet (timeout, reset): nobody to answer.
          self->stream_.socket().close();
        }
      });
}

void HttpConnection::read_body() {
  std::string_view target = parser_->get().target();
  std::string_view path = target.substr(0, target.find('?'));
  // The same test as Server::handle_request's route to Engine.IO, so /socket.io?… gets the
  // Engine.IO limit too.
  std::uint64_t limit = path.starts_with("/socket.io/") || path == "/socket.io"
                            ? server_.context().config.max_payload
                            : kMaxRequestBody;
  // Beast compares Content-Length with the limit while parsing the header, before we know the
  // route; check it here, and set the limit for chunked bodies.
  if (auto length = parser_->content_length(); length && *length > limit) {
    server_.ctx_.metrics.reject(Rejection::oversized_message);
    fail_body_too_large(limit);
    return;
  }
  parser_->body_limit(limit);
  stream_.expires_after(kHeaderTimeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this(), limit](boost::beast::error_code ec, std::size_t) {
                      if (ec == bhttp::error::body_limit) {
                        self->server_.ctx_.metrics.reject(Rejection::oversized_message);
                        self->fail_body_too_large(limit);
                        return;
                      }
                      if (ec) {
                        self->stream_.socket().close();
                        return;
                      }
                      self->stream_.expires_never();
                      http::Request req = self->parser_->release();
                      self->server_.handle_request(*self, std::move(req), self->responder());
                    });
}

http::Respond HttpConnection::responder() {
  return [self = shared_from_this()](http::Response res) {
    boost::asio::post(self->stream_.get_executor(),
                      [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
  };
}

void HttpConnection::write(http::Response response) {
  if (socket_taken_) return;
  auto res = std::make_shared<http::Response>(std::move(response));
  stream_.expires_after(kHeaderTimeout);
  bhttp::async_write(
      stream_, *res, [self = shared_from_this(), res](boost::beast::error_code ec, std::size_t) {
        if (ec || !res->keep_alive()) {
          boost::beast::error_code ignored;
          self->stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
          self->stream_.socket().close(ignored);
          return;
        }
        self->served_one_ = true;
        self->read_header();
      });
}

void HttpConnection::fail_request(bhttp::status status, std::string_view code,
                                  std::string_view message, std::string_view extra_json_fields) {
  http::Request req;
  req.version(11);
  req.keep_alive(false);
  auto res = http::error_response(req, status, code, message, extra_json_fields);
  res.keep_alive(false);
  write(std::move(res));
}

// The same body as the orders API's own limit (rule and limit), so a client reads one shape.
void HttpConnection::fail_body_too_large(std::uint64_t limit) {
  fail_request(bhttp::status::payload_too_large, "body_too_large",
               "request body exceeds the limit of " + std::to_string(limit) + " bytes",
               R"("rule":"max_bytes","limit":)" + std::to_string(limit));
}

boost::asio::ip::tcp::socket HttpConnection::take_socket() {
  socket_taken_ = true;
  stream_.expires_never();
  return stream_.release_socket();
}

}  // namespace pulseboard::gateway
