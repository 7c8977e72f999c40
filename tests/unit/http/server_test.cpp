// http::Server's route table, seen from a real client on a loopback port: which route answers
// a path, that a route's body limit is enforced before the body is sent, and that only a route
// registered for upgrades can take the socket over.
#include "http/server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace pulseboard::http {
namespace {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using boost::asio::ip::tcp;
using namespace std::chrono_literals;

// Generous: the test must pass beside a running compile.
constexpr auto kDeadline = 20s;

Handler answer(std::string name, std::atomic<int>* calls = nullptr) {
  return [name, calls](Request&& req, Respond respond) {
    if (calls) ++*calls;
    respond(json_response(
        req, beast_http::status::ok,
        R"({"route":")" + name + R"(","bytes":)" + std::to_string(req.body().size()) + "}"));
  };
}

// Takes the socket for a WebSocket handshake and echoes one message; answers anything else.
class EchoUpgrade final : public UpgradeHandler {
 public:
  void handle(Request&& req, Connection& conn, Respond respond) override {
    if (!websocket::is_upgrade(req)) {
      respond(json_response(req, beast_http::status::ok, R"({"route":"ws"})"));
      return;
    }
    auto ws = std::make_shared<websocket::stream<net::Stream>>(conn.take_socket());
    auto held = std::make_shared<Request>(std::move(req));
    ws->async_accept(*held, [ws, held](beast::error_code ec) {
      if (ec) return;
      auto buffer = std::make_shared<beast::flat_buffer>();
      ws->async_read(*buffer, [ws, buffer](beast::error_code read_ec, std::size_t) {
        if (read_ec) return;
        ws->text(true);
        ws->async_write(buffer->data(), [ws, buffer](beast::error_code, std::size_t) {});
      });
    });
  }
};

// One client connection; every read is bounded by kDeadline, so a server that waits for
// bytes that never come fails the test instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }
  void send(std::string_view raw) { boost::asio::write(socket_, boost::asio::buffer(raw)); }
  Response read() {
    Response res;
    beast::error_code result = boost::asio::error::timed_out;
    beast_http::async_read(socket_, buffer_, res,
                           [&result](beast::error_code ec, std::size_t) { result = ec; });
    ioc_.restart();
    ioc_.run_for(kDeadline);
    if (!ioc_.stopped()) {
      socket_.cancel();
      ioc_.run();
    }
    EXPECT_FALSE(result) << result.message();
    return res;
  }
  Response get(std::string_view target, std::string_view extra_headers = {}) {
    send("GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n");
    return read();
  }

 private:
  boost::asio::io_context ioc_;
  tcp::socket socket_{ioc_};
  beast::flat_buffer buffer_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.add_route("/a", answer("a"));
    server_.add_route("/a/b", answer("a/b"));
    server_.add_route(Route{.prefix = "/small",
                            .handler = answer("small", &small_calls_),
                            .upgrade = nullptr,
                            .max_body = 10});
    server_.add_route("/plain", answer("plain", &plain_calls_));
    server_.add_route(Route{.prefix = "/ws",
                            .handler = {},
                            .upgrade = std::make_shared<EchoUpgrade>(),
                            .max_body = kMaxRequestBody});
    port_ = server_.start();
  }
  std::string route_of(std::string_view target) {
    Client c(port_);
    Response res = c.get(target);
    if (res.result() != beast_http::status::ok) return std::to_string(res.result_int());
    auto at = res.body().find(R"("route":")");
    if (at == std::string::npos) return res.body();
    at += 9;
    return res.body().substr(at, res.body().find('"', at) - at);
  }

  static ServerConfig loopback() {
    ServerConfig config;
    config.bind_address = "127.0.0.1";
    config.threads = 2;
    return config;
  }

  Server server_{loopback()};
  std::uint16_t port_ = 0;
  std::atomic<int> small_calls_{0};
  std::atomic<int> plain_calls_{0};
};

TEST_F(ServerTest, TheLongestPrefixOnASegmentBoundaryTakesThePath) {
  EXPECT_EQ(route_of("/a"), "a");
  EXPECT_EQ(route_of("/a?x=1"), "a");
  EXPECT_EQ(route_of("/a/"), "a");
  EXPECT_EQ(route_of("/a/c"), "a");
  EXPECT_EQ(route_of("/a/b"), "a/b");
  EXPECT_EQ(route_of("/a/b/c"), "a/b");
  EXPECT_EQ(route_of("/a/bc"), "a");
  EXPECT_EQ(route_of("/ab"), "404");  // a prefix is a whole path segment
  EXPECT_EQ(route_of("/nothing"), "404");
  EXPECT_EQ(route_of("/healthz"), R"({"status":"ok"})");
}

TEST_F(ServerTest, ABodyOverItsRoutesLimitIsRefusedBeforeItIsSent) {
  Client c(port_);
  // Only the header: the 413 must come without the server waiting for the 1000 bytes.
  c.send("POST /small HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n");
  Response res = c.read();
  EXPECT_EQ(res.result(), beast_http::status::payload_too_large);
  EXPECT_NE(res.body().find(R"("limit":10)"), std::string::npos) << res.body();
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(small_calls_, 0);
  EXPECT_EQ(server_.refused(Refusal::oversized_body), 1u);

  Client chunked(port_);
  chunked.send(
      "POST /small HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "b\r\nhello world\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.read().result(), beast_http::status::payload_too_large);
  EXPECT_EQ(small_calls_, 0);

  Client within(port_);
  within.send("POST /small HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n0123456789");
  EXPECT_NE(within.read().body().find(R"("bytes":10)"), std::string::npos);
  // Another route keeps the default limit.
  Client other(port_);
  other.send("POST /plain HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n" +
             std::string(1000, 'x'));
  EXPECT_NE(other.read().body().find(R"("bytes":1000)"), std::string::npos);
  Client metrics(port_);
  EXPECT_NE(metrics.get("/metrics")
                .body()
                .find("pulseboard_rejections_total{reason=\"oversized_message\"} 2\n"),
            std::string::npos);
}

TEST_F(ServerTest, AnUpgradeRouteCanTakeTheSocketOver) {
  boost::asio::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  ws.handshake("127.0.0.1", "/ws?x=1");
  ws.write(boost::asio::buffer(std::string("hello")));
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "hello");
  EXPECT_EQ(route_of("/ws"), "ws");  // and answers plain requests as any route does
}

TEST_F(ServerTest, AnOrdinaryRouteAnswersAnUpgradeRequestAsHttp) {
  boost::asio::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  beast::error_code ec;
  ws.handshake("127.0.0.1", "/plain", ec);
  EXPECT_EQ(ec, websocket::error::upgrade_declined);
  EXPECT_EQ(plain_calls_, 1);

  // The connection stays HTTP: a second request on it is answered too.
  Client c(port_);
  const std::string upgrade =
      "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  Response first = c.get("/plain", upgrade);
  EXPECT_EQ(first.result(), beast_http::status::ok);
  Response second = c.get("/a");
  EXPECT_NE(second.body().find(R"("route":"a")"), std::string::npos);
  EXPECT_EQ(plain_calls_, 2);
}

}  // namespace
}  // namespace pulseboard::http
