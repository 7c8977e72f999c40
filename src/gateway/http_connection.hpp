#pragma once
// One accepted TCP connection speaking HTTP/1.1: reads a request (headers first, so the body
// limit can follow the route), hands it to the server, writes the single response, repeats
// while keep-alive. A WebSocket upgrade takes the socket away from it.
// Every request, the first and each kept-alive one, must arrive within 30 s. Framing follows
// RFC 9112 §6: a Transfer-Encoding other than `chunked` alone, or beside a Content-Length, is a
// 400 and the connection closes (the body's length is unknown, so nothing after it can be read
// as a request). A response to HEAD is its header alone, whichever route answered.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

#include "gateway/connection_limit.hpp"
#include "http/handler.hpp"

namespace pulseboard::gateway {

// The largest request body outside /socket.io/ (where --max-payload rules): roles that serve
// HTTP routes (the orders API) cannot accept more than this.
inline constexpr std::uint64_t kMaxRequestBody = 1024 * 1024;

class Server;
struct Loop;

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  // `lease` counts the connection against the connection bounds until it ends or is upgraded.
  HttpConnection(boost::asio::ip::tcp::socket socket, Server& server, Loop& loop,
                 std::unique_ptr<ConnectionLimit::Lease> lease);
  Loop& loop() { return loop_; }
  // The TCP peer's address (unspecified when the peer was already gone at accept).
  const boost::asio::ip::address& peer() const { return peer_; }
  void start();
  // A Respond that may be called from any thread, once.
  http::Respond responder();
  // Gives up the socket (for a WebSocket upgrade); the connection ends, and leaves the count of
  // HTTP connections (a session's bounds apply from here on).
  boost::asio::ip::tcp::socket take_socket();
  boost::asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void read_header();
  void read_body();
  // False after answering 400: the header's framing is one RFC 9112 §6 refuses.
  bool framing_is_valid();
  void write(http::Response response);
  void written(boost::beast::error_code ec, bool keep_alive);
  void fail_request(boost::beast::http::status status, std::string_view code,
                    std::string_view message, std::string_view extra_json_fields = {});
  void fail_body_too_large(std::uint64_t limit);

  boost::beast::tcp_stream stream_;
  Server& server_;
  Loop& loop_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::asio::ip::address peer_;
  std::unique_ptr<ConnectionLimit::Lease> lease_;
  bool socket_taken_ = false;
  bool head_ = false;  // the request being answered is a HEAD: its response has no body
};

}  // namespace pulseboard::gateway
