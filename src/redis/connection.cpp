#include "redis/connection.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cctype>

#include "common/backoff.hpp"

namespace asio = boost::asio;
using boost::system::error_code;

namespace pulseboard::redis {

namespace {

// Reconnect pacing: 100 ms doubling up to 5 s, jittered so that the clients of one restarted
// server do not all reconnect in the same millisecond.
constexpr std::chrono::milliseconds kReconnectFloor{100};
constexpr std::chrono::milliseconds kReconnectCap{5000};

constexpr std::size_t kReadChunk = 64 * 1024;
// What one turn of the event loop reads from Redis at most (on_read).
constexpr std::size_t kReadPerTurn = 1024 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_subscription_command(std::string_view lowered) {
  return lowered == "subscribe" || lowered == "psubscribe" || lowered == "ssubscribe" ||
         lowered == "unsubscribe" || lowered == "punsubscribe" || lowered == "sunsubscribe";
}

bool is_message_push(std::string_view kind) {
  return kind == "message" || kind == "pmessage" || kind == "smessage";
}

std::optional<std::string> format(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  int len = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
  if (len < 0) return std::nullopt;
  std::string wire(cmd, static_cast<std::size_t>(len));
  redisFreeCommand(cmd);
  return wire;
}

}  // namespace

std::shared_ptr<Connection> Connection::create(asio::any_io_executor ex, Endpoint ep,
                                               std::string name, std::size_t max_pending) {
  return std::shared_ptr<Connection>(
      new Connection(std::move(ex), std::move(ep), std::move(name), max_pending));
}

Connection::Connection(asio::any_io_executor ex, Endpoint ep, std::string name,
                       std::size_t max_pending)
    : strand_(asio::make_strand(std::move(ex))),
      endpoint_(std::move(ep)),
      name_(std::move(name)),
      max_pending_(max_pending),
      resolver_(strand_),
      socket_(strand_),
      connect_timer_(strand_),
      backoff_timer_(strand_),
      reader_(nullptr, &redisReaderFree),
      read_buffer_(kReadChunk),
      jitter_(std::random_device{}()) {
  if (!endpoint_.tls) return;
  auto context = make_tls_context(endpoint_.tls_files);
  if (auto* ctx = std::get_if<std::shared_ptr<asio::ssl::context>>(&context))
    tls_context_ = std::move(*ctx);
  else
    tls_context_error_ = std::get<std::string>(context);
}

Connection::~Connection() = default;

void Connection::start() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ == State::idle) self->connect();
  });
}

void Connection::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ == State::stopped) return;
    self->state_ = State::stopped;
    self->backoff_timer_.cancel();
    self->teardown(Reply::make_error(ErrorKind::connection, "ERR connection stopped"));
    self->on_connect_ = nullptr;
    self->on_disconnect_ = nullptr;
    self->on_push_ = nullptr;
  });
}

void Connection::command(std::vector<std::string> args, Callback cb) {
  if (pending_.fetch_add(1, std::memory_order_acq_rel) >= max_pending_) {
    pending_.fetch_sub(1, std::memory_order_acq_rel);
    if (cb)
      asio::post(strand_, [cb = std::move(cb), limit = max_pending_] {
        cb(Reply::make_error(ErrorKind::overloaded,
                             "ERR more than " + std::to_string(limit) + " pending commands"));
      });
    return;
  }
  asio::post(strand_, [self = shared_from_this(), args = std::move(args), cb = std::move(cb)] {
    Pending p{cb, true, {}, {}};
    auto refuse = [&](std::string why) {
      self->complete(p, Reply::make_error(ErrorKind::protocol, std::move(why)));
    };
    if (args.empty()) return refuse("ERR empty command");
    auto name = lower(args[0]);
    if (is_subscription_command(name)) {
      if (args.size() != 2) return refuse("ERR one channel per subscription command");
      p.subscription_kind = name;
      p.channel = args[1];
    }
    if (self->state_ == State::stopped)
      return self->complete(p, Reply::make_error(ErrorKind::connection, "ERR connection stopped"));
    auto wire = format(args);
    if (!wire) return refuse("ERR command could not be formatted");
    self->enqueue(std::move(*wire), std::move(p));
  });
}

void Connection::enqueue(std::string wire, Pending p) {
  if (state_ != State::ready) {
    waiting_.push_back({std::move(wire), std::move(p)});
    return;
  }
  if (!p.subscription_kind.empty()) pubsub_mode_ = true;
  out_ += wire;
  inflight_.push_back(std::move(p));
  flush();
}

void Connection::send_internal(std::vector<std::string> args, Callback cb) {
  out_ += *format(args);
  inflight_.push_back({std::move(cb), false, {}, {}});
  flush();
}

void Connection::connect() {
  state_ = State::connecting;
  auto gen = ++generation_;
  reader_.reset(redisReaderCreate());
  pubsub_mode_ = false;
  connect_timer_.expires_after(kConnectTimeout);
  connect_timer_.async_wait([self = shared_from_this(), gen](error_code ec) {
    if (ec || gen != self->generation_) return;
    if (self->state_ == State::connecting || self->state_ == State::handshaking)
      self->lose("connect timeout");
  });
  resolver_.async_resolve(
      endpoint_.host, std::to_string(endpoint_.port),
      [self = shared_from_this(), gen](error_code ec, asio::ip::tcp::resolver::results_type r) {
        if (gen != self->generation_) return;
        if (ec) return self->lose("resolve: " + ec.message());
        asio::async_connect(self->socket_, r, [self, gen](error_code ec, const auto&) {
          if (gen != self->generation_) return;
          if (ec) return self->lose("connect: " + ec.message());
          error_code ignored;
          self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
          self->socket_.set_option(asio::socket_base::keep_alive(true), ignored);
          // on_read drains the socket with synchronous reads that must not block.
          self->socket_.non_blocking(true, ignored);
          self->secure();
        });
      });
}

void Connection::secure() {
  if (!endpoint_.tls) return handshake();
  if (!tls_context_) return lose("TLS: " + tls_context_error_);
  state_ = State::handshaking;
  tls_ = make_tls_stream(socket_, *tls_context_, endpoint_.host);
  if (!tls_) return lose("TLS: cannot verify the host name " + endpoint_.host);
  tls_->async_handshake(asio::ssl::stream_base::client,
                        [self = shared_from_this(), gen = generation_, tls = tls_](error_code ec) {
                          if (gen != self->generation_) return;
                          if (ec) return self->lose(tls_failure(*tls, ec));
                          self->handshake();
                        });
}

void Connection::handshake() {
  state_ = State::handshaking;
  read_loop();
  std::vector<std::vector<std::string>> steps;
  if (!endpoint_.password.empty()) {
    if (endpoint_.username.empty())
      steps.push_back({"AUTH", endpoint_.password});
    else
      steps.push_back({"AUTH", endpoint_.username, endpoint_.password});
  }
  if (endpoint_.db != 0) steps.push_back({"SELECT", std::to_string(endpoint_.db)});
  if (steps.empty()) return become_ready();
  auto remaining = std::make_shared<std::size_t>(steps.size());
  for (auto& step : steps) {
    auto what = step[0];
    send_internal(std::move(step), [this, what, remaining, gen = generation_](const Reply& r) {
      if (gen != generation_) return;
      if (auto* e = r.error()) return lose(what + " failed: " + e->message);
      if (--*remaining == 0) become_ready();
    });
  }
}

void Connection::become_ready() {
  state_ = State::ready;
  attempt_ = 0;
  connect_timer_.cancel();
  sessions_.fetch_add(1, std::memory_order_acq_rel);
  connected_.store(true, std::memory_order_release);
  spdlog::info("redis[{}]: connected to {}:{}{}", name_, endpoint_.host, endpoint_.port,
               endpoint_.tls ? " (TLS)" : "");
  auto queued = std::move(waiting_);
  waiting_.clear();
  for (auto& q : queued) enqueue(std::move(q.wire), std::move(q.pending));
  if (on_connect_) on_connect_();
}

void Connection::teardown(const Reply& error) {
  ++generation_;
  error_code ignored;
  resolver_.cancel();
  socket_.close(ignored);
  tls_.reset();
  connect_timer_.cancel();
  out_.clear();
  writing_.clear();
  write_in_flight_ = false;
  connected_.store(false, std::memory_order_release);
  auto failed = std::move(inflight_);
  inflight_.clear();
  auto queued = std::move(waiting_);
  waiting_.clear();
  for (auto& p : failed) complete(p, error);
  for (auto& q : queued) complete(q.pending, error);
}

void Connection::lose(const std::string& why) {
  if (state_ == State::stopped || state_ == State::idle || state_ == State::backoff) return;
  bool was_ready = state_ == State::ready;
  state_ = State::backoff;
  if (was_ready)
    spdlog::warn("redis[{}]: connection to {}:{} lost: {}", name_, endpoint_.host, endpoint_.port,
                 why);
  else if (attempt_ == 0)
    spdlog::warn("redis[{}]: cannot connect to {}:{}: {}", name_, endpoint_.host, endpoint_.port,
                 why);
  else
    spdlog::debug("redis[{}]: attempt {} failed: {}", name_, attempt_, why);
  teardown(Reply::make_error(ErrorKind::connection, "ERR connection lost: " + why));
  if (was_ready && on_disconnect_) on_disconnect_();
  schedule_reconnect();
}

void Connection::schedule_reconnect() {
  if (state_ == State::stopped) return;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto delay =
      jittered(exponential_delay(attempt_++, kReconnectFloor, kReconnectCap), unit(jitter_));
  backoff_timer_.expires_after(delay);
  backoff_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec && self->state_ == State::backoff) self->connect();
  });
}

void Connection::flush() {
  if (write_in_flight_ || out_.empty()) return;
  write_in_flight_ = true;
  writing_.swap(out_);
  with_stream([&](auto& stream) {
    asio::async_write(
        stream, asio::buffer(writing_),
        [self = shared_from_this(), gen = generation_, tls = tls_](error_code ec, std::size_t) {
          if (gen != self->generation_) return;
          self->write_in_flight_ = false;
          if (ec) return self->lose("write: " + ec.message());
          self->writing_.clear();
          self->flush();
        });
  });
}

void Connection::read_loop() {
  with_stream([&](auto& stream) {
    stream.async_read_some(
        asio::buffer(read_buffer_),
        [self = shared_from_this(), gen = generation_, tls = tls_](error_code ec, std::size_t n) {
          if (gen == self->generation_) self->on_read(ec, n);
        });
  });
}

void Connection::on_read(error_code ec, std::size_t n) {
  // Every async read waits for a whole turn of the event loop it shares with the sessions, and a
  // reconnect storm fills that turn with thousands of handshakes: with one buffer per turn, a
  // large reply (a recovery answer may be 2 MiB) and every reply queued behind it waited a turn
  // per 64 KB. So whatever has arrived is read now, up to a bound that keeps the sessions' turn
  // from waiting on Redis. (TLS reads a record at a time through its own buffer; it keeps one
  // read per turn.)
  std::size_t read = 0;
  for (;;) {
    if (ec) return lose(ec == asio::error::eof ? "closed by server" : "read: " + ec.message());
    if (!consume(n)) return;
    read += n;
    if (tls_ || read >= kReadPerTurn) break;
    n = socket_.read_some(asio::buffer(read_buffer_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
  }
  read_loop();
}

bool Connection::consume(std::size_t n) {
  auto gen = generation_;
  if (redisReaderFeed(reader_.get(), read_buffer_.data(), n) != REDIS_OK) {
    lose(std::string("protocol: ") + reader_->errstr);
    return false;
  }
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
      lose(std::string("protocol: ") + reader_->errstr);
      return false;
    }
    if (raw == nullptr) return true;
    auto* reply = static_cast<redisReply*>(raw);
    Reply value = from_hiredis(*reply);
    freeReplyObject(reply);
    dispatch(std::move(value));
    if (gen != generation_) return false;  // a reply made us drop the connection
  }
}

void Connection::dispatch(Reply reply) {
  // In RESP2 only a connection in subscribed mode receives pushes, and such a connection
  // accepts no command whose reply could look like one, so the shape test is unambiguous.
  if (pubsub_mode_) {
    const Array* items = reply.array();
    const std::string* kind_raw = items && items->size() >= 2 ? (*items)[0].string() : nullptr;
    if (kind_raw) {
      auto kind = lower(*kind_raw);
      if (is_message_push(kind)) {
        if (on_push_) on_push_(reply);
        return;
      }
      if (is_subscription_command(kind)) {
        const std::string* channel = (*items)[1].string();
        if (!inflight_.empty() && inflight_.front().subscription_kind == kind && channel &&
            *channel == inflight_.front().channel) {
          Pending p = std::move(inflight_.front());
          inflight_.pop_front();
          complete(p, reply);
        } else if (on_push_) {
          on_push_(reply);
        }
        return;
      }
    }
  }
  if (inflight_.empty()) {
    spdlog::warn("redis[{}]: reply with no command waiting for it", name_);
    return;
  }
  Pending p = std::move(inflight_.front());
  inflight_.pop_front();
  complete(p, reply);
}

void Connection::complete(Pending& p, const Reply& reply) {
  if (p.counted) pending_.fetch_sub(1, std::memory_order_acq_rel);
  if (p.cb) p.cb(reply);
}

}  // namespace pulseboard::redis
