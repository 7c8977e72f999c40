#include "websocket/transport.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <chrono>
#include <span>

#include "common/prefetch.hpp"

namespace pulseboard::websocket {
namespace asio = boost::asio;

namespace {

// Asio hands at most 64 buffers to one sendmsg(): a header and a payload per frame.
constexpr std::size_t kMaxBatchFrames = 32;
// After this many full batches in one flush the rest waits for the next loop turn, so one
// socket with a deep queue cannot hold up the loop's other sockets.
constexpr int kMaxBatchesPerFlush = 8;
// Reads per readiness event before going back to the loop, for the same reason.
constexpr int kMaxReadsPerEvent = 4;
constexpr std::size_t kReadBufferSize = 64 * 1024;
// Frames the transport itself queues ahead of the queue above (probe answers, the close frame).
constexpr std::size_t kMaxDirectFrames = 16;
// How long a closing connection may take to finish its close handshake (and its last writes).
constexpr auto kCloseTimeout = std::chrono::seconds(5);

// One per thread: a loop's writes are synchronous on its thread, so the headers and the buffer
// list of a batch are needed only for the duration of one write_some().
struct Batch {
  std::array<HeaderBytes, kMaxBatchFrames> headers;
  std::array<asio::const_buffer, 2 * kMaxBatchFrames> buffers;
  std::size_t frames = 0;
  std::size_t buffer_count = 0;
  std::size_t bytes = 0;

  // permessage-deflate, for the transport writing this batch: its settings (null: not
  // agreed), its place in a room's compression stream (null: it keeps no server context,
  // deflate_stream.hpp), and what its compressed messages saved.
  const DeflateSettings* deflate = nullptr;
  StreamFollower* follower = nullptr;
  std::uint64_t plain_bytes = 0;      // of the messages sent compressed
  std::uint64_t wire_bytes = 0;       // what they took instead
  int payloads_deflated = 0;          // compressed by this batch (the first socket to need them)
  std::uint64_t stream_messages = 0;  // sent in their stream form

  void reset(const DeflateSettings& settings, bool agreed, StreamFollower* stream_follower) {
    frames = buffer_count = bytes = 0;
    deflate = agreed ? &settings : nullptr;
    follower = agreed ? stream_follower : nullptr;
    plain_bytes = wire_bytes = 0;
    payloads_deflated = 0;
    stream_messages = 0;
  }
  void add(Opcode opcode, const std::string& payload, bool compressed = false) {
    auto& h = headers[frames++];
    const std::size_t n = write_header(opcode, payload.size(), h, compressed);
    buffers[buffer_count++] = asio::const_buffer(h.data(), n);
    if (!payload.empty()) buffers[buffer_count++] = asio::buffer(payload);
    bytes += n + payload.size();
  }
  // A data message, in the form choose_deflate() picks for this socket.
  void add_message(Opcode opcode, const std::string& payload, bool deflatable) {
    if (!deflatable || !deflate) return add(opcode, payload);
    const DeflateChoice c =
        choose_deflate(static_cast<const SharedPayload&>(payload), follower, *deflate);
    payloads_deflated += c.made_now ? 1 : 0;
    stream_messages += c.in_stream ? 1 : 0;
    add(opcode, *c.bytes, c.compressed);
    if (c.compressed) {
      plain_bytes += payload.size();
      wire_bytes += c.bytes->size();
    }
  }
};

Batch& thread_batch() {
  thread_local Batch batch;
  return batch;
}

void count_deflated(const Batch& batch, Metrics& metrics) {
  for (int i = 0; i < batch.payloads_deflated; ++i) metrics.count(Counter::payload_deflated);
  if (batch.stream_messages > 0) metrics.stream_messages_sent(batch.stream_messages);
  if (batch.wire_bytes > 0) metrics.deflated_bytes(batch.plain_bytes, batch.wire_bytes);
}

std::span<char> thread_read_buffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferSize]);
  return {buffer.get(), kReadBufferSize};
}

Opcode data_opcode(const Message& m) {
  return m.binary ? Opcode::binary : Opcode::text;
}

// Every Sec-WebSocket-Extensions header of the request, as one list.
std::string extension_offers(const Transport::Request& request) {
  std::string offers;
  auto [it, end] = request.equal_range(boost::beast::http::field::sec_websocket_extensions);
  for (; it != end; ++it) {
    if (!offers.empty()) offers += ", ";
    offers.append(it->value().data(), it->value().size());
  }
  return offers;
}

}  // namespace

Transport::Transport(net::Stream socket, Settings settings, Metrics& metrics, RefusalLog& refusals,
                     FlushList<Transport>& flushes)
    : flushes_(flushes),
      socket_(std::move(socket)),
      metrics_(metrics),
      refusals_(refusals),
      deflate_(settings.deflate),
      parser_(settings.max_message_bytes) {}

Transport::~Transport() {
  if (deflate_agreed_) metrics_.count(Counter::deflate_ended);
}

void Transport::agree_deflate(const DeflateAgreement& agreement) {
  deflate_agreed_ = true;
  follows_streams_ = !agreement.server_no_context_takeover;
  parser_.enable_inflate(agreement.client_window_bits, agreement.client_no_context_takeover);
  metrics_.count(Counter::deflate_agreed);
}

void Transport::accept(Request request, std::function<void(bool)> done) {
  namespace bws = boost::beast::websocket;
  // Boost.Beast validates the upgrade request and writes the 101 (or the refusal); the stream
  // is dropped afterwards and the socket comes back here.
  auto handshake = std::make_shared<bws::stream<net::Stream>>(std::move(socket_));
  auto t = bws::stream_base::timeout::suggested(boost::beast::role_type::server);
  t.idle_timeout = bws::stream_base::none();
  handshake->set_option(t);
  // permessage-deflate is negotiated here, not by Beast: the transport does its own framing.
  std::optional<DeflateAgreement> deflate;
  if (deflate_.enabled) deflate = negotiate_deflate(extension_offers(request));
  std::string extensions = deflate ? deflate->response : std::string();
  handshake->set_option(bws::stream_base::decorator([extensions](bws::response_type& res) {
    res.set(boost::beast::http::field::server, "pulseboard");
    if (!extensions.empty() && res.result() == boost::beast::http::status::switching_protocols)
      res.set(boost::beast::http::field::sec_websocket_extensions, extensions);
  }));
  handshake->async_accept(request, [self = shared_from_this(), handshake, deflate,
                                    done = std::move(done)](boost::beast::error_code ec) {
    if (ec) {
      spdlog::debug("websocket handshake failed: {}", ec.message());
      done(false);
      return;
    }
    if (deflate) self->agree_deflate(*deflate);
    self->socket_ = std::move(handshake->next_layer());
    self->socket_.socket().non_blocking(true, ec);  // reads and writes try the socket first
    if (!ec) self->socket_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
    done(!ec);
  });
}

void Transport::bind(std::shared_ptr<Events> events, bool probe) {
  events_ = std::move(events);
  draining_events_ = !probe;
  reading_ = true;
  // Read what may already have arrived (the client speaks as soon as it has the 101), once the
  // caller has finished setting up what it carries.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_readable(); });
}

void Transport::promote() {
  draining_events_ = true;
  kick();
}

void Transport::write_direct(Message message) {
  if (closing_) return;
  // Only a peer can make this queue grow (a probe answered per "2probe"): a few are plenty.
  if (direct_.size() >= kMaxDirectFrames) {
    metrics_.count(Counter::control_queue_overflow);
    refusals_.log(spdlog::level::warn, "websocket: peer outran its control replies: closing");
    report_closed(Ending::failed);
    drop_after_close_ = true;
    queue_close_frame(close_code::policy_violation, "");
    return;
  }
  direct_.push_back({std::move(message.data), data_opcode(message), message.deflatable});
  kick();
}

void Transport::kick() {
  if (flushes_.writing_through() && !flush_pending()) {
    // The write may end the connection, and with it the reference its session holds.
    auto self = shared_from_this();
    flush();
    return;
  }
  flush_later();
}

void Transport::flush_later() {
  if (flush_pending()) return;
  flush_marked_ = true;
  flushes_.add(shared_from_this());
}

// ---- writing ------------------------------------------------------------------------------

void Transport::prefetch() const {
  // The members flush() reads: the first ones, through socket_ (see the declaration order).
  prefetch_lines(this, &socket_ + 1);
}

void Transport::flush() {
  flush_marked_ = false;
  for (int i = 0; i < kMaxBatchesPerFlush; ++i) {
    if (async_write_pending_ || close_sent_ || !socket_.socket().is_open()) return;
    const bool queued_above = draining_above() && !events_->outbound().empty();
    if (direct_.empty() && !queued_above && !pending_pong_) return;
    if (!write_batch()) return;
  }
  flush_later();  // more than a few batches waiting: the rest on the next turn
}

bool Transport::write_batch() {
  Batch& batch = thread_batch();
  batch.reset(deflate_, deflate_agreed_, follows_streams_ ? &follower_ : nullptr);
  std::size_t from_direct = 0;
  bool has_close = false;
  // The pending pong leaves first; its buffer is kept alive by `pong` until the write is done.
  std::shared_ptr<std::string> pong = std::move(pending_pong_);
  if (pong) batch.add(Opcode::pong, *pong);
  while (from_direct < direct_.size() && batch.frames < kMaxBatchFrames && !has_close) {
    const Outgoing& o = direct_[from_direct++];
    if (o.opcode == Opcode::close)
      batch.add(o.opcode, *o.data);
    else
      batch.add_message(o.opcode, *o.data, o.deflatable);
    has_close = o.opcode == Opcode::close;
  }
  std::size_t from_above = 0;
  if (!has_close && draining_above()) {
    const std::span<const Message> q = events_->outbound();
    from_above = std::min(q.size(), kMaxBatchFrames - batch.frames);
    for (std::size_t i = 0; i < from_above; ++i)
      batch.add_message(data_opcode(q[i]), *q[i].data, q[i].deflatable);
  }
  count_deflated(batch, metrics_);

  boost::system::error_code ec;
  std::size_t written = socket_.try_write(
      std::span<const asio::const_buffer>(batch.buffers.data(), batch.buffer_count), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec = {};
    written = 0;
  }
  if (ec) {
    spdlog::debug("websocket write failed: {}", ec.message());
    cut(Ending::failed);
    return false;
  }
  // (`pong` dies at the end of this call: its bytes, if not taken, are copied.)
  if (written < batch.bytes) keep_unsent(written);

  direct_.erase(direct_.begin(), direct_.begin() + static_cast<std::ptrdiff_t>(from_direct));
  if (direct_.empty()) std::vector<Outgoing>().swap(direct_);
  if (from_above > 0) events_->on_written(from_above);

  if (unsent_.empty()) {
    if (has_close) on_close_frame_sent();
    return !has_close;
  }
  write_unsent(has_close);
  return false;
}

// The kernel's send buffer is full: keep the rest of the batch (at most one batch) and let the
// loop write it when the socket drains. The messages leave the queues either way, so the bound
// of the queue above still applies to everything behind them.
void Transport::keep_unsent(std::size_t written) {
  const Batch& batch = thread_batch();
  unsent_.reserve(batch.bytes - written);
  std::size_t skip = written;
  for (std::size_t i = 0; i < batch.buffer_count; ++i) {
    const auto& b = batch.buffers[i];
    if (skip >= b.size()) {
      skip -= b.size();
      continue;
    }
    unsent_.append(static_cast<const char*>(b.data()) + skip, b.size() - skip);
    skip = 0;
  }
}

void Transport::write_unsent(bool has_close) {
  async_write_pending_ = true;
  socket_.async_write(asio::buffer(unsent_), [self = shared_from_this(), has_close](
                                                 boost::system::error_code ec, std::size_t) {
    self->async_write_pending_ = false;
    std::string().swap(self->unsent_);
    if (ec) {
      self->cut(Ending::failed);
    } else if (has_close) {
      self->on_close_frame_sent();
    } else {
      self->flush();
    }
  });
}

// ---- closing ------------------------------------------------------------------------------

void Transport::close(std::uint16_t code, std::string_view reason) {
  if (closing_) return;
  // Messages queued above before closing (a Socket.IO DISCONNECT, say) still go out, ahead of
  // the close frame. (A session closed for overflowing its queue empties it first.)
  if (draining_events_ && events_) {
    const std::span<const Message> q = events_->outbound();
    for (const Message& m : q) direct_.push_back({m.data, data_opcode(m), m.deflatable});
    events_->on_written(q.size());
  }
  queue_close_frame(code, reason);
  // Nothing reads a socket refused before it was bound: read now, or the peer's answer to our
  // close frame would go unseen and the connection would stay open until the deadline (engine.io
  // closes such a WebSocket as soon as the client answers).
  if (!reading_) {
    reading_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_readable(); });
  }
}

void Transport::queue_close_frame(std::uint16_t code, std::string_view reason) {
  closing_ = true;
  std::string payload;
  if (code != close_code::no_status) payload = close_payload(code, reason);
  direct_.push_back({std::make_shared<const std::string>(std::move(payload)), Opcode::close});
  // Whatever the peer does, the connection is gone within the timeout.
  close_deadline_ = std::make_unique<asio::steady_timer>(socket_.get_executor(), kCloseTimeout);
  close_deadline_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;
    self->cut(Ending::closed);
  });
  kick();
}

void Transport::on_close_frame_sent() {
  close_sent_ = true;
  // Our close was an answer, or the connection failed: done. Otherwise the peer answers with
  // its own close frame (read on), and the deadline bounds the wait.
  if (close_received_ || drop_after_close_) shutdown_socket();
}

void Transport::cut(Ending how) {
  report_closed(how);
  shutdown_socket();
}

void Transport::report_closed(Ending how) {
  if (auto events = std::move(events_)) events->on_closed(*this, how);
}

void Transport::shutdown_socket() {
  if (close_deadline_) close_deadline_->cancel();
  socket_.close();
}

// ---- reading ------------------------------------------------------------------------------

// Only after a read found the socket empty: the reactor is edge-triggered and Asio does not try
// a wait speculatively, so data that arrived before the wait is queued would never wake it.
void Transport::wait_readable() {
  if (!socket_.socket().is_open()) return;
  socket_.async_wait_readable([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) {  // cancelled by close, or the socket failed
      self->cut(Ending::closed);
      return;
    }
    self->on_readable();
  });
}

void Transport::on_readable() {
  auto self = shared_from_this();  // the events below may drop the reference held above
  std::span<char> buffer = thread_read_buffer();
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    if (!socket_.socket().is_open()) return;
    boost::system::error_code ec;
    const std::size_t n = socket_.try_read(asio::buffer(buffer.data(), buffer.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      wait_readable();
      return;
    }
    if (ec) {
      cut(ec == asio::error::eof ? Ending::closed : Ending::failed);
      return;
    }
    const FrameError error = parser_.feed(buffer.first(n), *this);
    if (error != FrameError::none) {
      fail(error);
      return;
    }
  }
  // More may be waiting, and no new edge will announce it: read on after the loop's other work.
  asio::post(socket_.get_executor(), [self] { self->on_readable(); });
}

void Transport::on_message(bool text, std::string_view payload) {
  if (close_received_) return;
  if (auto events = events_) {
    if (text)
      events->on_text(*this, payload);
    else
      events->on_binary(*this, payload);
  }
}

// At most one pong waits: a ping that arrives while one is pending replaces its payload
// (RFC 6455 §5.5.3 lets an endpoint answer only the most recent ping), so a ping flood costs
// no memory and no queue work, whatever the peer sends.
void Transport::on_ping(std::string_view payload) {
  if (closing_) return;
  if (pending_pong_) {
    metrics_.count(Counter::pong_coalesced);
    pending_pong_->assign(payload);
    return;
  }
  pending_pong_ = std::make_shared<std::string>(payload);
  kick();
}

void Transport::on_close(std::uint16_t code, std::string_view) {
  close_received_ = true;
  report_closed(Ending::closed);
  if (close_sent_)
    shutdown_socket();
  else if (!closing_)
    queue_close_frame(code, "");  // echo the peer's code (RFC 6455 §5.5.1)
}

void Transport::fail(FrameError error) {
  std::uint16_t code = close_code::protocol_error;
  if (error == FrameError::too_big) {
    metrics_.count(Counter::oversized_message);
    code = close_code::too_big;
  } else if (error == FrameError::inflated_too_big) {
    metrics_.count(Counter::oversized_message);  // over --max-payload, as any other message
    metrics_.count(Counter::inflate_too_big);
    code = close_code::too_big;
  } else if (error == FrameError::invalid_utf8) {
    metrics_.count(Counter::invalid_utf8);
    code = close_code::invalid_payload;
  } else {
    metrics_.count(Counter::protocol_error);
  }
  spdlog::debug("websocket connection failed: close {}", code);
  report_closed(Ending::failed);
  drop_after_close_ = true;
  if (!closing_) {
    queue_close_frame(code, "");
  } else if (close_sent_) {
    shutdown_socket();
  }
}

}  // namespace pulseboard::websocket
