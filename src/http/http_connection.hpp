#pragma once
// One accepted TCP connection speaking HTTP/1.1, in clear or over TLS (after a server
// handshake bounded by the TLS handshake timeout and the request timeout): reads a request (headers
// first, so the body limit can follow the route), hands it to the route, writes the single
// response, repeats while keep-alive. An upgrade route may take the socket away from it
// (Connection). Every request, the first and each kept-alive one, must arrive within the server's
// request_timeout (30 s). Framing follows
// RFC 9112 §6: a Transfer-Encoding other than `chunked` alone, or beside a Content-Length, is a
// 400 and the connection closes (the body's length is unknown, so nothing after it can be read
// as a request). A response to HEAD is its header alone, whichever route answered.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

#include "http/connection_limit.hpp"
#include "http/handler.hpp"
#include "net/stream.hpp"

namespace pulseboard::http {

class Server;
struct Route;

class HttpConnection final : public Connection,
                             public std::enable_shared_from_this<HttpConnection> {
 public:
  // `lease` counts the connection against the connection bounds until it ends or is upgraded.
  // `loop_index`: the server loop whose context `socket` belongs to.
  HttpConnection(boost::asio::ip::tcp::socket socket, Server& server, std::size_t loop_index,
                 std::unique_ptr<ConnectionLimit::Lease> lease);
  const boost::asio::ip::address& peer() const override { return peer_; }
  std::size_t loop_index() const override { return loop_index_; }
  net::Stream take_socket() override;
  void start();
  // A Respond that may be called from any thread, once.
  Respond responder();

 private:
  void handshake_done(boost::beast::error_code ec);
  void close();
  void read_header();
  void header_read(boost::beast::error_code ec);
  void read_body();
  void body_read(boost::beast::error_code ec, std::uint64_t limit);
  // Hands the request to its route (route_, found from the header), or to the server's own
  // endpoints.
  void dispatch(Request&& req);
  // False after answering 400: the header's framing is one RFC 9112 §6 refuses.
  bool framing_is_valid();
  void write(Response response);
  void written(boost::beast::error_code ec, bool keep_alive);
  void fail_request(boost::beast::http::status status, std::string_view code,
                    std::string_view message, std::string_view extra_json_fields = {});
  void fail_body_too_large(std::uint64_t limit);

  net::ServerStream stream_;
  Server& server_;
  std::size_t loop_index_;
  const Route* route_ = nullptr;  // the current request's route; null: the server's own
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::asio::ip::address peer_;
  std::unique_ptr<ConnectionLimit::Lease> lease_;
  bool socket_taken_ = false;
  bool head_ = false;  // the request being answered is a HEAD: its response has no body
};

}  // namespace pulseboard::http
