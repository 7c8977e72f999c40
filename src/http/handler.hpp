#pragma once
// The HTTP seam every role plugs its endpoints into: http::Server (server.hpp) routes requests
// by path prefix to handlers; a handler answers exactly once, from any thread (the server posts
// the response back to the connection's executor). Handlers that touch a database run that
// work off the event loop and call `respond` when done. A route that may take the socket over
// (a WebSocket upgrade) implements UpgradeHandler instead, and sees the Connection.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "net/stream.hpp"

namespace pulseboard::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;
using Respond = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Respond)>;

// What an upgrade route sees of the connection a request arrived on. Valid during the call to
// UpgradeHandler::handle only; the server owns it.
class Connection {
 public:
  // The TCP peer's address (unspecified when the peer was already gone at accept).
  virtual const boost::asio::ip::address& peer() const = 0;
  // Which of the server's event loops runs this connection (Server::loop_count() of them).
  virtual std::size_t loop_index() const = 0;
  // Gives up the connection's byte stream, plain or TLS (for a WebSocket upgrade): the HTTP
  // connection ends and leaves the count of HTTP connections; the new owner's bounds apply from
  // here on. `respond` must not be called after this.
  virtual net::Stream take_socket() = 0;

 protected:
  ~Connection() = default;
};

// A route that may take the connection's socket over (Route::upgrade). The server calls it on
// the connection's loop with every request under the route's prefix, upgrade or not.
class UpgradeHandler {
 public:
  virtual ~UpgradeHandler() = default;
  virtual void handle(Request&& req, Connection& conn, Respond respond) = 0;
};

// A JSON response with the request's HTTP version and keep-alive.
Response json_response(const Request& req, beast_http::status status, std::string body);
// `{"error":{"code":code,"message":message}}` plus optional extra fields already JSON-encoded
// (e.g. R"("field":"amount")").
Response error_response(const Request& req, beast_http::status status, std::string_view code,
                        std::string_view message, std::string_view extra_json_fields = {});

// The bearer token of an `Authorization: Bearer <token>` header, or empty.
std::string_view bearer_token(const Request& req);

// Every field line named `name` combined, in order, as one comma-separated list (RFC 9110
// §5.3): what a recipient must read when a list-valued field arrives on several lines. Empty
// when there is none.
std::string combined_field(const Request& req, std::string_view name);
// Replaces the field lines named `name` with their combined value, so code that reads one line
// (req[name]) sees the whole list. Nothing changes when there are fewer than two lines.
void combine_field_lines(Request& req, std::string_view name);

}  // namespace pulseboard::http
