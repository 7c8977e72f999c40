#pragma once
// One Redis connection on Boost.Asio that never blocks its executor.
//
// hiredis 0.14 is used as the RESP codec only (redisFormatCommandArgv, redisReader); the socket
// is an Asio tcp::socket. Its async layer (redisAsyncContext + event hooks) cannot carry Redis 7
// sharded pub/sub: an `smessage` push with no queued callback trips
// `assert(c->flags & REDIS_SUBSCRIBED || ...)` in redisProcessCallbacks and aborts the process.
// Matching replies to commands here also lets the pending-command bound cover everything that
// is queued, and keeps name resolution (getaddrinfo inside redisAsyncConnect) off the loop.
//
// Reconnects forever with capped exponential backoff (common/backoff.hpp); AUTH and SELECT run on
// every connect before any queued command is sent. A rediss:// endpoint runs the same protocol
// over TLS (redis/tls.hpp), one new TLS session per connect.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "redis/endpoint.hpp"
#include "redis/reply.hpp"
#include "redis/tls.hpp"

struct redisReader;

namespace pulseboard::redis {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Callback = std::function<void(const Reply&)>;

  // Commands queued or awaiting a reply past this many fail at once with ErrorKind::overloaded.
  static constexpr std::size_t kDefaultMaxPending = 100'000;
  static constexpr std::chrono::milliseconds kConnectTimeout{5000};

  static std::shared_ptr<Connection> create(boost::asio::any_io_executor ex, Endpoint ep,
                                            std::string name,
                                            std::size_t max_pending = kDefaultMaxPending);
  ~Connection();

  // Set the hooks before start(); they run on the connection's strand.
  void on_connect(std::function<void()> fn) { on_connect_ = std::move(fn); }
  void on_disconnect(std::function<void()> fn) { on_disconnect_ = std::move(fn); }
  // Pub/sub pushes (message, pmessage, smessage) and subscription replies that no command
  // asked for (e.g. the sunsubscribe Redis sends when a slot moves away).
  void on_push(Callback fn) { on_push_ = std::move(fn); }

  void start();  // thread-safe
  void stop();   // thread-safe; pending commands fail with ErrorKind::connection

  // Thread-safe; args are binary-safe. `cb` (may be empty) runs on the connection's strand
  // exactly once. Commands issued while disconnected wait for the next connection attempt and
  // fail if it fails. A subscription command ((S|P)SUBSCRIBE, (S|P)UNSUBSCRIBE) takes exactly
  // one channel and completes with its confirmation ["subscribe", channel, count].
  void command(std::vector<std::string> args, Callback cb);

  bool connected() const { return connected_.load(std::memory_order_acquire); }
  // How many times a connection became ready. A change means a new Redis session: what the
  // last one held (CLIENT SETNAME, subscriptions, the server's record of the client) is gone.
  std::uint64_t sessions() const { return sessions_.load(std::memory_order_acquire); }
  const Endpoint& endpoint() const { return endpoint_; }
  const std::string& name() const { return name_; }
  boost::asio::strand<boost::asio::any_io_executor> strand() const { return strand_; }

 private:
  enum class State { idle, connecting, handshaking, ready, backoff, stopped };
  struct Pending {
    Callback cb;
    bool counted = true;            // user commands count toward max_pending_; AUTH/SELECT don't
    std::string subscription_kind;  // lower-case command name for subscription commands
    std::string channel;
  };
  struct Queued {
    std::string wire;
    Pending pending;
  };

  Connection(boost::asio::any_io_executor ex, Endpoint ep, std::string name,
             std::size_t max_pending);

  void connect();
  void secure();
  void handshake();
  void become_ready();
  void lose(const std::string& why);
  void teardown(const Reply& error);
  void schedule_reconnect();
  void enqueue(std::string wire, Pending p);
  void flush();
  void read_loop();
  void on_read(boost::system::error_code ec, std::size_t n);
  // Feeds n bytes of read_buffer_ to the reader and dispatches every complete reply; false when
  // the connection was dropped (a protocol error, or a reply's callback dropped it).
  bool consume(std::size_t n);
  void dispatch(Reply reply);
  void complete(Pending& p, const Reply& reply);
  void send_internal(std::vector<std::string> args, Callback cb);
  // Runs fn with the stream commands travel on: the TLS session or the bare socket.
  template <class Fn>
  void with_stream(Fn&& fn) {
    if (tls_)
      fn(*tls_);
    else
      fn(socket_);
  }

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  Endpoint endpoint_;
  std::string name_;
  const std::size_t max_pending_;

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  // rediss:// only: the context (or why it could not be built) and the current session, which
  // each pending operation also holds so that a torn-down session outlives its handlers.
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::string tls_context_error_;
  std::shared_ptr<TlsStream> tls_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer backoff_timer_;
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader_;
  std::vector<char> read_buffer_;
  std::string out_;      // commands not yet handed to the socket
  std::string writing_;  // the buffer of the write in flight
  bool write_in_flight_ = false;
  bool pubsub_mode_ = false;  // a subscription command was sent on this connection

  State state_ = State::idle;
  std::uint64_t generation_ = 0;  // bumps on every (re)connect; stale completions are ignored
  unsigned attempt_ = 0;
  std::deque<Queued> waiting_;    // issued while not ready
  std::deque<Pending> inflight_;  // sent, awaiting replies in order
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> sessions_{0};
  std::minstd_rand jitter_;

  std::function<void()> on_connect_;
  std::function<void()> on_disconnect_;
  Callback on_push_;
};

}  // namespace pulseboard::redis
