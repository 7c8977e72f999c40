#include "client_fleet.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <random>

namespace pulseboard::bench {

namespace asio = boost::asio;

ClientFleet::ClientFleet(ClientSettings settings, unsigned threads, std::uint8_t source_octet,
                         FrameSink* sink)
    : settings_(std::move(settings)), sink_(sink), source_octet_(source_octet) {
  settings_.phase_start_ns = &phase_start_ns_;
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) shards_.push_back(std::make_unique<Shard>());
  for (auto& shard : shards_) {
    threads_.emplace_back([s = shard.get()] {
      auto guard = asio::make_work_guard(s->io);
      s->io.run();
    });
  }
}

ClientFleet::~ClientFleet() {
  stop();
}

void ClientFleet::enable_reconnect(std::vector<std::string> tokens, ReconnectPolicy policy) {
  sessions_.resize(tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) sessions_[i].token = std::move(tokens[i]);
  policy_ = policy;
}

void ClientFleet::launch() {
  auto index = launched_++;
  auto& shard = *shards_[index % shards_.size()];
  FleetCounters::bump(shard.counters.started);
  asio::post(shard.io, [this, index] { connect(index); });
}

// On the client's own thread.
void ClientFleet::connect(std::size_t index) {
  auto& shard = *shards_[index % shards_.size()];
  // 127.<octet>.<1..250>.<1..250>: 62,500 source addresses, one per connection.
  auto third = static_cast<std::uint32_t>((index / 250) % 250 + 1);
  auto fourth = static_cast<std::uint32_t>(index % 250 + 1);
  asio::ip::address_v4 source((127u << 24) | (std::uint32_t{source_octet_} << 16) | (third << 8) |
                              fourth);
  bool reconnecting = index < sessions_.size();
  std::make_shared<SioClient>(shard.io, settings_, shard.counters, sink_, index,
                              reconnecting ? &sessions_[index] : nullptr,
                              reconnecting ? static_cast<Reconnector*>(this) : nullptr)
      ->start(source);
}

// On the client's own thread, from its close.
void ClientFleet::reconnect_later(std::size_t index) {
  auto& memory = sessions_[index];
  if (memory.attempts >= policy_.max_attempts) return;
  auto& shard = *shards_[index % shards_.size()];
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_real_distribution<double> factor(1 - policy_.jitter, 1 + policy_.jitter);
  double ms = std::min(static_cast<double>(policy_.base.count()) *
                           static_cast<double>(1u << std::min(memory.attempts, 16u)),
                       static_cast<double>(policy_.max.count()));
  // After a drop `attempts` is 0 (the CONNECT reply reset it): the first retry waits base.
  ms *= factor(random);
  auto timer = std::make_shared<asio::steady_timer>(
      shard.io, std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000)));
  timer->async_wait([this, timer, index](boost::system::error_code ec) {
    if (!ec) connect(index);
  });
}

FleetTotals ClientFleet::totals() const {
  FleetTotals t;
  for (const auto& shard : shards_) {
    const auto& c = shard->counters;
    auto get = [](const std::atomic<std::uint64_t>& v) {
      return v.load(std::memory_order_relaxed);
    };
    t.started += get(c.started);
    t.connected += get(c.connected);
    t.failed += get(c.failed);
    t.dropped += get(c.dropped);
    t.frames += get(c.frames);
    t.untimed_frames += get(c.untimed_frames);
    t.stale_frames += get(c.stale_frames);
    t.pings += get(c.pings);
    t.bytes += get(c.bytes);
  }
  return t;
}

LatencyHistogram::Snapshot ClientFleet::latency() const {
  LatencyHistogram::Snapshot snapshot;
  for (const auto& shard : shards_) shard->counters.latency.add_to(snapshot);
  return snapshot;
}

void ClientFleet::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& shard : shards_) shard->io.stop();
  for (auto& thread : threads_) thread.join();
}

}  // namespace pulseboard::bench
