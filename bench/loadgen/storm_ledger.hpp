#pragma once
// When each dashboard of the reconnect storm was cut, was back (its CONNECT reply) and was
// receiving again (its first event after the cut). One writer per client (its thread), any
// reader: the storm's loop polls the counts while the clients reconnect.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "frame_sink.hpp"
#include "frame_timestamp.hpp"

namespace pulseboard::bench {

class StormLedger : public FrameSink {
 public:
  explicit StormLedger(std::size_t clients)
      : clients_(clients),
        cut_(new std::atomic<std::uint64_t>[clients]()),
        back_(new std::atomic<std::uint64_t>[clients]()),
        receiving_(new std::atomic<std::uint64_t>[clients]()) {}

  // From now on, a drop counts as the storm's cut (the ramp's own failures do not).
  void arm() { armed_.store(true, std::memory_order_relaxed); }
  std::uint64_t first_cut_ns() const { return first_cut_.load(std::memory_order_relaxed); }

  void on_connected(std::size_t client) override {
    if (client < clients_ && cut_[client].load(std::memory_order_relaxed) &&
        !back_[client].load(std::memory_order_relaxed))
      back_[client].store(unix_now_ns(), std::memory_order_relaxed);
  }
  void on_event(std::size_t client, std::string_view, std::uint64_t receipt_ns) override {
    // Any event after the cut arrives on a new connection: replayed missed events included.
    if (client < clients_ && cut_[client].load(std::memory_order_relaxed) &&
        !receiving_[client].load(std::memory_order_relaxed))
      receiving_[client].store(receipt_ns, std::memory_order_relaxed);
  }
  void on_closed(std::size_t client, bool was_connected) override {
    if (!was_connected || client >= clients_ || !armed_.load(std::memory_order_relaxed) ||
        cut_[client].load(std::memory_order_relaxed))
      return;
    auto now = unix_now_ns();
    cut_[client].store(now, std::memory_order_relaxed);
    std::uint64_t expected = 0;
    first_cut_.compare_exchange_strong(expected, now, std::memory_order_relaxed);
  }

  std::uint64_t cut(std::size_t i) const { return cut_[i].load(std::memory_order_relaxed); }
  std::uint64_t back(std::size_t i) const { return back_[i].load(std::memory_order_relaxed); }
  std::uint64_t receiving(std::size_t i) const {
    return receiving_[i].load(std::memory_order_relaxed);
  }
  std::size_t clients() const { return clients_; }

 private:
  std::size_t clients_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> cut_, back_, receiving_;
  std::atomic<bool> armed_{false};
  std::atomic<std::uint64_t> first_cut_{0};
};

}  // namespace pulseboard::bench
