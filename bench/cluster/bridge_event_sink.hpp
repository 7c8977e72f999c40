#pragma once
// What a dashboard does with each frame in the cluster probe: a `metrics-update` carrying the
// bench publisher's `"t"` (publish time) and `"seq"` (message number) is recorded in the ledger
// under that number; anything else is counted and left alone.
#include <atomic>
#include <memory>

#include "../dblatency/delivery_ledger.hpp"
#include "../dblatency/frame_fields.hpp"
#include "../loadgen/fleet_counters.hpp"
#include "../loadgen/frame_sink.hpp"
#include "../loadgen/frame_timestamp.hpp"

namespace pulseboard::bench {

class BridgeEventSink : public FrameSink {
 public:
  BridgeEventSink(DeliveryLedger& ledger, unsigned threads)
      : ledger_(ledger), threads_(threads ? threads : 1), other_(new Counter[threads_]) {}

  void on_connected(std::size_t client) override { ledger_.mark_connected(client); }

  void on_event(std::size_t client, std::string_view frame, std::uint64_t receipt_ns) override {
    auto sent = is_event(frame, "metrics-update") ? frame_timestamp_ns(frame) : std::nullopt;
    auto seq = sent ? number_after(frame, "\"seq\":") : std::nullopt;
    if (!seq ||
        !ledger_.record(client, *seq, 0, receipt_ns > *sent ? (receipt_ns - *sent) / 1000 : 0))
      FleetCounters::bump(other_[client % threads_].value);
  }

  std::uint64_t other_events() const {
    std::uint64_t sum = 0;
    for (unsigned i = 0; i < threads_; ++i) sum += other_[i].value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  struct alignas(64) Counter {
    std::atomic<std::uint64_t> value{0};
  };
  DeliveryLedger& ledger_;
  unsigned threads_;
  std::unique_ptr<Counter[]> other_;
};

}  // namespace pulseboard::bench
