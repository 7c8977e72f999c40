#include "sio_client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/websocket/stream_base.hpp>
#include <chrono>

#include "frame_timestamp.hpp"

namespace pulseboard::bench {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;

namespace {

constexpr std::string_view kPong = "3";
constexpr std::size_t kMaxMessageBytes = 1 << 20;
constexpr std::chrono::seconds kConnectTimeout{20};

// A server's frame header (unmasked): 2 bytes, plus 2 or 8 for the extended payload length.
std::size_t websocket_header_bytes(std::size_t payload) {
  return payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10;
}

}  // namespace

SioClient::SioClient(asio::io_context& io, const ClientSettings& settings, FleetCounters& counters,
                     FrameSink* sink, std::size_t index, SessionMemory* memory,
                     Reconnector* reconnector)
    : ws_(io),
      settings_(settings),
      counters_(counters),
      sink_(sink),
      index_(index),
      memory_(memory),
      reconnector_(reconnector),
      connect_timer_(io) {}

void SioClient::start(const asio::ip::address_v4& source) {
  if (memory_) {
    ++memory_->attempts;
    ++memory_->total_attempts;
    connect_timer_.expires_after(kConnectTimeout);
    connect_timer_.async_wait([self = shared_from_this()](error_code e) {
      if (!e && self->state_ != State::connected) self->fail();
    });
  }
  auto& socket = ws_.next_layer();
  error_code ec;
  socket.open(asio::ip::tcp::v4(), ec);
  if (!ec) {
    // Defer the port choice to connect(), so the 4-tuple (not the source address alone) must be
    // unique: each source address then has the whole ephemeral range to itself.
    int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket.bind({source, 0}, ec);
  }
  if (ec) return fail();
  socket.async_connect(settings_.server,
                       [self = shared_from_this()](error_code e) { self->on_tcp_connect(e); });
}

void SioClient::on_tcp_connect(error_code ec) {
  if (ec) return fail();
  ws_.next_layer().set_option(asio::ip::tcp::no_delay(true), ec);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(20);
  timeouts.idle_timeout = websocket::stream_base::none();  // Engine.IO pings keep the session
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.read_message_max(kMaxMessageBytes);
  ws_.text(true);
  ws_.async_handshake(settings_.host_header, "/socket.io/?EIO=4&transport=websocket",
                      [self = shared_from_this()](error_code e) { self->on_upgrade(e); });
}

void SioClient::on_upgrade(error_code ec) {
  if (ec) return fail();
  state_ = State::awaiting_open;
  read_next();
}

void SioClient::read_next() {
  ws_.async_read(buffer_,
                 [self = shared_from_this()](error_code e, std::size_t) { self->on_read(e); });
}

void SioClient::on_read(error_code ec) {
  if (ec) return fail();
  auto data = buffer_.cdata();
  FleetCounters::bump(counters_.bytes, data.size() + websocket_header_bytes(data.size()));
  handle_message({static_cast<const char*>(data.data()), data.size()});
  buffer_.consume(buffer_.size());
  if (state_ != State::closed) read_next();
}

void SioClient::handle_message(std::string_view message) {
  if (message.empty()) return;
  switch (message[0]) {
    case '4':  // Engine.IO message: a Socket.IO packet follows
      if (message.size() >= 2 && message[1] == '2') {
        auto received_ns = count_event(message);
        if (memory_) {
          if (auto offset = event_offset(message); !offset.empty()) memory_->offset = offset;
        }
        if (sink_) sink_->on_event(index_, message, received_ns ? received_ns : unix_now_ns());
      } else if (message.size() >= 2 && message[1] == '0' && state_ == State::awaiting_connect) {
        state_ = State::connected;
        if (memory_) {
          remember_connect_reply(*memory_, message);
          connect_timer_.cancel();
        }
        FleetCounters::bump(counters_.connected);
        if (sink_) sink_->on_connected(index_);
      } else if (message.size() >= 2 && (message[1] == '4' || message[1] == '1')) {
        fail();  // CONNECT_ERROR or DISCONNECT: the server refused or dropped us
      }
      return;
    case '2':  // Engine.IO ping (server -> client in v4)
      FleetCounters::bump(counters_.pings);
      ++pongs_pending_;
      flush();
      return;
    case '0':  // OPEN
      if (state_ == State::awaiting_open) {
        state_ = State::awaiting_connect;
        connect_pending_ = true;
        flush();
      }
      return;
    case '1':  // CLOSE
      fail();
      return;
    default:
      return;
  }
}

// Counts the frame and records its latency; returns the receipt time when it read the clock
// (a timed frame of the current phase), else 0. Untimed and stale frames skip the clock.
std::uint64_t SioClient::count_event(std::string_view frame) {
  auto sent = frame_timestamp_ns(frame);
  if (!sent) {
    FleetCounters::bump(counters_.frames);
    FleetCounters::bump(counters_.untimed_frames);
    return 0;
  }
  if (settings_.phase_start_ns &&
      *sent < settings_.phase_start_ns->load(std::memory_order_relaxed)) {
    FleetCounters::bump(counters_.stale_frames);
    return 0;
  }
  FleetCounters::bump(counters_.frames);
  auto now = unix_now_ns();
  counters_.latency.record(now > *sent ? (now - *sent) / 1000 : 0);
  return now;
}

void SioClient::flush() {
  if (writing_ || state_ == State::closed) return;
  std::string_view text;
  if (connect_pending_) {
    connect_pending_ = false;
    if (memory_) connect_text_ = connect_packet(*memory_);
    text = memory_ ? std::string_view(connect_text_) : std::string_view(settings_.connect_packet);
  } else if (pongs_pending_ > 0) {
    --pongs_pending_;
    text = kPong;
  } else {
    return;
  }
  writing_ = true;
  ws_.async_write(asio::buffer(text.data(), text.size()),
                  [self = shared_from_this()](error_code e, std::size_t) {
                    self->writing_ = false;
                    if (e) return self->fail();
                    self->flush();
                  });
}

void SioClient::fail() {
  if (state_ == State::closed) return;
  bool was_connected = state_ == State::connected;
  FleetCounters::bump(was_connected ? counters_.dropped : counters_.failed);
  state_ = State::closed;
  error_code ignored;
  ws_.next_layer().close(ignored);
  connect_timer_.cancel();
  if (sink_) sink_->on_closed(index_, was_connected);
  if (reconnector_) reconnector_->reconnect_later(index_);
}

}  // namespace pulseboard::bench
