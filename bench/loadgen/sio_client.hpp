#pragma once
// One lean Socket.IO v5 client over a WebSocket-only Engine.IO v4 session
// (docs/protocol-reference.md, Engine.IO handshake and Socket.IO CONNECT and auth): upgrade, read
// OPEN, send CONNECT with the auth token, wait for the CONNECT reply, then answer pings and count
// EVENT frames. It never sends events, so its only writes are the CONNECT and the pongs. With a
// FrameSink it also reports its CONNECT and hands over every EVENT frame (the probes); without one,
// the per-frame cost is a null pointer check. With a SessionMemory and a Reconnector (the
// reconnect storm) it sends its own token, pid and offset in CONNECT, and asks for a new
// connection when this one closes.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstddef>
#include <memory>
#include <string_view>

#include "client_settings.hpp"
#include "fleet_counters.hpp"
#include "frame_sink.hpp"
#include "session_memory.hpp"

namespace pulseboard::bench {

class SioClient : public std::enable_shared_from_this<SioClient> {
 public:
  // `index` names this client to `sink` (may be null); both must outlive the client.
  SioClient(boost::asio::io_context& io, const ClientSettings& settings, FleetCounters& counters,
            FrameSink* sink = nullptr, std::size_t index = 0, SessionMemory* memory = nullptr,
            Reconnector* reconnector = nullptr);
  // Binds the socket to `source` (port chosen by the kernel at connect time) and connects.
  void start(const boost::asio::ip::address_v4& source);

 private:
  enum class State { connecting, awaiting_open, awaiting_connect, connected, closed };

  void on_tcp_connect(boost::system::error_code ec);
  void on_upgrade(boost::system::error_code ec);
  void read_next();
  void on_read(boost::system::error_code ec);
  void handle_message(std::string_view message);
  std::uint64_t count_event(std::string_view frame);
  void flush();
  void fail();

  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::beast::flat_buffer buffer_;
  const ClientSettings& settings_;
  FleetCounters& counters_;
  FrameSink* sink_;
  std::size_t index_;
  SessionMemory* memory_;
  Reconnector* reconnector_;
  std::string connect_text_;  // alive while its write is in flight
  // Reconnect mode: socket.io-client gives up an attempt that has no CONNECT reply after 20 s
  // (its `timeout`) and retries; without this, an attempt a loaded server never answers would
  // hold its dashboard forever.
  boost::asio::steady_timer connect_timer_;
  State state_ = State::connecting;
  bool writing_ = false;
  bool connect_pending_ = false;  // the CONNECT packet waits for the write in flight
  unsigned pongs_pending_ = 0;    // bounded by the server's ping rate; one write at a time
};

}  // namespace pulseboard::bench
