#include "probe_fleet.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <chrono>

namespace pulseboard::bench {

namespace asio = boost::asio;

ProbeFleet::ProbeFleet(ProbeSettings settings, FrameSink& sink, unsigned threads,
                       std::uint8_t source_octet)
    : settings_(std::move(settings)), sink_(sink), source_octet_(source_octet) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) shards_.push_back(std::make_unique<Shard>());
  for (auto& shard : shards_) {
    threads_.emplace_back([s = shard.get()] {
      auto guard = asio::make_work_guard(s->io);
      s->io.run();
    });
  }
}

ProbeFleet::~ProbeFleet() {
  stop();
}

void ProbeFleet::launch() {
  auto index = launched_++;
  auto& shard = *shards_[index % shards_.size()];
  // 127.<octet>.<1..250>.<1..250>: 62,500 source addresses, one per connection.
  auto third = static_cast<std::uint32_t>((index / 250) % 250 + 1);
  auto fourth = static_cast<std::uint32_t>(index % 250 + 1);
  asio::ip::address_v4 source((127u << 24) | (std::uint32_t{source_octet_} << 16) | (third << 8) |
                              fourth);
  FleetCounters::bump(shard.counters.started);
  asio::post(shard.io, [this, &shard, source, index] {
    std::make_shared<ProbeClient>(shard.io, settings_, shard.counters, sink_, index)->start(source);
  });
}

FleetTotals ProbeFleet::totals() const {
  FleetTotals t;
  auto get = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  for (const auto& shard : shards_) {
    const auto& c = shard->counters;
    t.started += get(c.started);
    t.connected += get(c.connected);
    t.failed += get(c.failed);
    t.dropped += get(c.dropped);
    t.frames += get(c.frames);
    t.pings += get(c.pings);
  }
  return t;
}

void ProbeFleet::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& shard : shards_) shard->io.stop();
  for (auto& thread : threads_) thread.join();
}

RampResult ramp(ProbeFleet& fleet, std::uint64_t clients, double rate, unsigned max_in_flight,
                double timeout_seconds) {
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - start).count(); };
  std::uint64_t launched = 0;
  for (;;) {
    auto t = fleet.totals();
    auto due = std::min<std::uint64_t>(clients, static_cast<std::uint64_t>(elapsed() * rate) + 1);
    while (launched < due && launched - t.connected - t.failed < max_in_flight) {
      fleet.launch();
      ++launched;
    }
    // Fresh totals: the last launches above are not in `t`.
    if (launched == clients && fleet.totals().in_flight() == 0) break;
    if (elapsed() > timeout_seconds) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return {fleet.totals(), elapsed()};
}

}  // namespace pulseboard::bench
