#pragma once
// A dashboard as the load generator's SioClient (bench/loadgen/sio_client.hpp) opens it: Socket.IO
// v5 over a WebSocket-only Engine.IO v4 session, CONNECT with a token, a pong for every ping.
// Unlike SioClient it hands every EVENT frame, with its receipt time, to the caller: these
// probes must know *which* event each client received (to count losses and duplicates per
// client), not only how many frames arrived and when.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "../loadgen/fleet_counters.hpp"

namespace pulseboard::bench {

// Called on the client's thread for every `42[...]` frame. `client` is the launch index.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void on_connected(std::size_t client) = 0;
  virtual void on_event(std::size_t client, std::string_view frame, std::uint64_t receipt_ns) = 0;
};

struct ProbeSettings {
  boost::asio::ip::tcp::endpoint server;
  std::string host_header;     // "127.0.0.1:4000"
  std::string connect_packet;  // 40{"token":"..."}
};

class ProbeClient : public std::enable_shared_from_this<ProbeClient> {
 public:
  ProbeClient(boost::asio::io_context& io, const ProbeSettings& settings, FleetCounters& counters,
              FrameSink& sink, std::size_t index);
  // Binds to `source` (the port is chosen at connect time) and connects.
  void start(const boost::asio::ip::address_v4& source);

 private:
  enum class State { connecting, awaiting_open, awaiting_connect, connected, closed };

  void on_tcp_connect(boost::system::error_code ec);
  void read_next();
  void on_read(boost::system::error_code ec);
  void handle_message(std::string_view message);
  void flush();
  void fail();

  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::beast::flat_buffer buffer_;
  const ProbeSettings& settings_;
  FleetCounters& counters_;
  FrameSink& sink_;
  std::size_t index_;
  State state_ = State::connecting;
  bool writing_ = false;
  bool connect_pending_ = false;
  unsigned pongs_pending_ = 0;  // bounded by the server's ping rate; one write at a time
};

// Unix time in ns (CLOCK_REALTIME): the clock the writers and publishers stamp with.
std::uint64_t unix_now_ns();

}  // namespace pulseboard::bench
