#include "worker/leader_lease.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>

#include "common/ids.hpp"

namespace pulseboard::worker {

namespace {

// Takes the key when it is free or still names the holder that was proven gone (ARGV[3]); else
// returns the holder's id. Returns 1 when the key is ours.
constexpr const char* kAcquireScript =
    "local v = redis.call('get', KEYS[1]) "
    "if v == false or v == ARGV[1] or (ARGV[3] ~= '' and v == ARGV[3]) then "
    "redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
    "return v";
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
  // The lease counts only on the connection session its last renewal ran on: once that one
  // dropped, a standby may have proven us gone and taken over.
  return leader_.load() && connection_->connected() &&
         connection_->sessions() == valid_session_.load() &&
         steady_ns(std::chrono::steady_clock::now()) < valid_until_ns_.load();
}

std::chrono::milliseconds LeaderLease::period() const {
  return std::max(std::chrono::milliseconds(1), std::min(options_.check, options_.lease / 3));
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
  timer_.expires_after(period());
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && self->running_) self->tick();
  });
}

void LeaderLease::tick() {
  const auto sent = std::chrono::steady_clock::now();
  const std::uint64_t session = connection_->sessions();
  const std::string lease_ms = std::to_string(options_.lease.count());
  const bool renewing = leader_.load();
  auto cb = [self = shared_from_this(), sent, session, renewing](const redis::Reply& reply) {
    boost::asio::post(self->timer_.get_executor(), [self, reply, sent, session, renewing] {
      self->on_reply(reply, sent, session, renewing);
    });
  };
  // Same connection, in order: the connection that runs the script carries our name.
  connection_->command({"CLIENT", "SETNAME", std::string(kNamePrefix) + options_.id}, {});
  if (renewing)
    connection_->command({"EVAL", kRenewScript, "1", options_.key, options_.id, lease_ms}, cb);
  else
    connection_->command(
        {"EVAL", kAcquireScript, "1", options_.key, options_.id, lease_ms, gone_holder_}, cb);
  schedule();
}

void LeaderLease::check_holder(const std::string& holder) {
  if (holder_check_failed_ || holder.find_first_of(" \r\n") != std::string::npos) return;
  connection_->command({"CLIENT", "LIST", "TYPE", "normal"}, [self = shared_from_this(),
                                                              holder](const redis::Reply& r) {
    boost::asio::post(self->timer_.get_executor(), [self, holder, r] {
      if (!self->running_ || self->leader_) return;
      if (r.is_error()) {
        if (r.error()->kind == redis::ErrorKind::server && !self->holder_check_failed_) {
          self->holder_check_failed_ = true;
          spdlog::warn(
              "worker: CLIENT LIST refused ({}): a crashed leader is replaced when its lease "
              "expires, not at once",
              r.error()->message);
        }
        return;
      }
      const std::string* list = r.string();
      if (!list) return;
      // One line per client: "id=7 addr=... name=pulseboard-lease:<id> age=...".
      const std::string field = " name=" + std::string(kNamePrefix) + holder + " ";
      if (list->find(field) != std::string::npos) return;  // the holder is still connected
      if (self->gone_holder_ != holder)
        spdlog::warn(
            "worker: leader {} has no connection to Redis any more; taking over without waiting "
            "for its lease to expire",
            holder);
      self->gone_holder_ = holder;
      self->timer_.cancel();  // acquire now rather than at the next check
      self->tick();
    });
  });
}

void LeaderLease::on_reply(const redis::Reply& reply, std::chrono::steady_clock::time_point sent,
                           std::uint64_t session, bool renewing) {
  if (!running_) return;
  if (reply.is_error()) {
    // Keep leading until the local deadline: Redis may only be slow. is_leader() turns false
    // by itself when the deadline passes or the connection drops.
    spdlog::warn("worker: leader lease {} failed: {}", renewing ? "renewal" : "acquire",
                 reply.error()->message);
    return;
  }
  if (!renewing && reply.string()) {
    // Someone else holds the key: is it still there?
    if (*reply.string() != gone_holder_) gone_holder_.clear();
    check_holder(*reply.string());
    return;
  }
  if (reply.integer().value_or(0) != 1) {
    if (renewing) lose("the lease key no longer holds our id");
    return;
  }
  // Redis set the expiry no earlier than `sent`; stop a tenth of the lease early for drift.
  const auto valid = sent + options_.lease - options_.lease / 10;
  valid_until_ns_ = steady_ns(valid);
  valid_session_ = session;
  gone_holder_.clear();
  if (!leader_.exchange(true)) spdlog::info("worker: became the leader ({})", options_.id);
}

void LeaderLease::lose(const char* why) {
  if (leader_.exchange(false)) spdlog::warn("worker: lost the leader lease: {}", why);
}

}  // namespace pulseboard::worker
