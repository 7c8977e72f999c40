#include "probe_client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/websocket/stream_base.hpp>
#include <chrono>
#include <ctime>

namespace pulseboard::bench {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;

namespace {
constexpr std::string_view kPong = "3";
constexpr std::size_t kMaxMessageBytes = 1 << 20;
}  // namespace

std::uint64_t unix_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

ProbeClient::ProbeClient(asio::io_context& io, const ProbeSettings& settings,
                         FleetCounters& counters, FrameSink& sink, std::size_t index)
    : ws_(io), settings_(settings), counters_(counters), sink_(sink), index_(index) {}

void ProbeClient::start(const asio::ip::address_v4& source) {
  auto& socket = ws_.next_layer();
  error_code ec;
  socket.open(asio::ip::tcp::v4(), ec);
  if (!ec) {
    // The 4-tuple, not the source address alone, must be unique: each source address keeps
    // the whole ephemeral port range.
    int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket.bind({source, 0}, ec);
  }
  if (ec) return fail();
  socket.async_connect(settings_.server,
                       [self = shared_from_this()](error_code e) { self->on_tcp_connect(e); });
}

void ProbeClient::on_tcp_connect(error_code ec) {
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
                      [self = shared_from_this()](error_code e) {
                        if (e) return self->fail();
                        self->state_ = State::awaiting_open;
                        self->read_next();
                      });
}

void ProbeClient::read_next() {
  ws_.async_read(buffer_,
                 [self = shared_from_this()](error_code e, std::size_t) { self->on_read(e); });
}

void ProbeClient::on_read(error_code ec) {
  if (ec) return fail();
  auto data = buffer_.cdata();
  handle_message({static_cast<const char*>(data.data()), data.size()});
  buffer_.consume(buffer_.size());
  if (state_ != State::closed) read_next();
}

void ProbeClient::handle_message(std::string_view message) {
  if (message.empty()) return;
  switch (message[0]) {
    case '4':  // Engine.IO message: a Socket.IO packet follows
      if (message.size() >= 2 && message[1] == '2') {
        FleetCounters::bump(counters_.frames);
        sink_.on_event(index_, message, unix_now_ns());
      } else if (message.size() >= 2 && message[1] == '0' && state_ == State::awaiting_connect) {
        state_ = State::connected;
        FleetCounters::bump(counters_.connected);
        sink_.on_connected(index_);
      } else if (message.size() >= 2 && (message[1] == '4' || message[1] == '1')) {
        fail();  // CONNECT_ERROR or DISCONNECT
      }
      return;
    case '2':  // Engine.IO ping
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

void ProbeClient::flush() {
  if (writing_ || state_ == State::closed) return;
  std::string_view text;
  if (connect_pending_) {
    connect_pending_ = false;
    text = settings_.connect_packet;
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

void ProbeClient::fail() {
  if (state_ == State::closed) return;
  FleetCounters::bump(state_ == State::connected ? counters_.dropped : counters_.failed);
  state_ = State::closed;
  error_code ignored;
  ws_.next_layer().close(ignored);
}

}  // namespace pulseboard::bench
