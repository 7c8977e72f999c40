#pragma once
// One lean Socket.IO v5 client over a WebSocket-only Engine.IO v4 session (PROTOCOL.md §1.3,
// §2.4): upgrade, read OPEN, send CONNECT with the auth token, wait for the CONNECT reply,
// then answer pings and count EVENT frames. It never sends events, so its only writes are the
// CONNECT and the pongs.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <memory>
#include <string>

#include "fleet_counters.hpp"

namespace pulseboard::bench {

struct ClientSettings {
  boost::asio::ip::tcp::endpoint server;
  std::string host_header;     // "127.0.0.1:4000"
  std::string connect_packet;  // 40{"token":"..."}
  // Unix ns at which the current publishing phase began; frames stamped earlier are stale.
  const std::atomic<std::uint64_t>* phase_start_ns = nullptr;
};

class SioClient : public std::enable_shared_from_this<SioClient> {
 public:
  SioClient(boost::asio::io_context& io, const ClientSettings& settings, FleetCounters& counters);
  // Binds the socket to `source` (port chosen by the kernel at connect time) and connects.
  void start(const boost::asio::ip::address_v4& source);

 private:
  enum class State { connecting, awaiting_open, awaiting_connect, connected, closed };

  void on_tcp_connect(boost::system::error_code ec);
  void on_upgrade(boost::system::error_code ec);
  void read_next();
  void on_read(boost::system::error_code ec);
  void handle_message(std::string_view message);
  void send(std::string_view text);
  void flush();
  void fail();

  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::beast::flat_buffer buffer_;
  const ClientSettings& settings_;
  FleetCounters& counters_;
  State state_ = State::connecting;
  bool writing_ = false;
  bool connect_pending_ = false;  // the CONNECT packet waits for the write in flight
  unsigned pongs_pending_ = 0;    // bounded by the server's ping rate; one write at a time
};

}  // namespace pulseboard::bench
