#include "worker/leader_lease.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "common/ids.hpp"

namespace pulseboard::worker {

namespace {

// Extends the lease only while the key still holds our id (compare-and-pexpire).
constexpr const char* kRenewScript =
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
// Deletes the key only while it still holds our id (compare-and-delete).
constexpr const char* kReleaseScript =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end";

std::int64_t steady_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::shared_ptr<LeaderLease> LeaderLease::create(boost::asio::any_io_executor executor,
                                                 std::shared_ptr<redis::Connection> connection,
                                                 Options options) {
  if (options.id.empty()) options.id = random_id20();
  return std::shared_ptr<LeaderLease>(
      new LeaderLease(std::move(executor), std::move(connection), std::move(options)));
}

LeaderLease::LeaderLease(boost::asio::any_io_executor executor,
                         std::shared_ptr<redis::Connection> connection, Options options)
    : timer_(std::move(executor)),
      connection_(std::move(connection)),
      options_(std::move(options)) {}

bool LeaderLease::is_leader() const {
  return leader_.load() && steady_ns(std::chrono::steady_clock::now()) < valid_until_ns_.load();
}

void LeaderLease::start() {
  boost::asio::post(timer_.get_executor(), [self = shared_from_this()] {
    if (self->running_.exchange(true)) return;
    spdlog::info("worker: leader election on {} as {} (lease {} ms)", self->options_.key,
                 self->options_.id, self->options_.lease.count());
    self->tick();
  });
}

void LeaderLease::abandon() {
  boost::asio::post(timer_.get_executor(), [self = shared_from_this()] {
    self->running_ = false;
    self->timer_.cancel();
    self->leader_ = false;
  });
}

void LeaderLease::stop() {
  boost::asio::post(timer_.get_executor(), [self = shared_from_this()] {
    const bool was_leader = self->leader_.exchange(false);
    self->running_ = false;
    self->timer_.cancel();
    if (was_leader)
      self->connection_->command(
          {"EVAL", kReleaseScript, "1", self->options_.key, self->options_.id},
          [](const redis::Reply&) {});
  });
}

void LeaderLease::schedule() {
  if (!running_) return;
  timer_.expires_after(options_.lease / 3);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && self->running_) self->tick();
  });
}

void LeaderLease::tick() {
  const auto sent = std::chrono::steady_clock::now();
  const std::string lease_ms = std::to_string(options_.lease.count());
  const bool renewing = leader_.load();
  auto cb = [self = shared_from_this(), sent, renewing](const redis::Reply& reply) {
    boost::asio::post(self->timer_.get_executor(),
                      [self, reply, sent, renewing] { self->on_reply(reply, sent, renewing); });
  };
  if (renewing)
    connection_->command({"EVAL", kRenewScript, "1", options_.key, options_.id, lease_ms}, cb);
  else
    connection_->command({"SET", options_.key, options_.id, "NX", "PX", lease_ms}, cb);
  schedule();
}

void LeaderLease::on_reply(const redis::Reply& reply, std::chrono::steady_clock::time_point sent,
                           bool renewing) {
  if (!running_) return;
  if (reply.is_error()) {
    // Keep leading until the local deadline: Redis may only be slow. is_leader() turns false
    // by itself when the deadline passes.
    spdlog::warn("worker: leader lease {} failed: {}", renewing ? "renewal" : "acquire",
                 reply.error()->message);
    return;
  }
  bool ours =
      renewing ? reply.integer().value_or(0) == 1 : (reply.string() && *reply.string() == "OK");
  if (!ours) {
    if (renewing) lose("the lease key no longer holds our id");
    return;
  }
  // Redis set the expiry no earlier than `sent`; stop a tenth of the lease early for drift.
  const auto valid = sent + options_.lease - options_.lease / 10;
  valid_until_ns_ = steady_ns(valid);
  if (!leader_.exchange(true)) spdlog::info("worker: became the leader ({})", options_.id);
}

void LeaderLease::lose(const char* why) {
  if (leader_.exchange(false)) spdlog::warn("worker: lost the leader lease: {}", why);
}

}  // namespace pulseboard::worker
