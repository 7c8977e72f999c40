#pragma once
// Which event each client received, and how late: one receipt count per (client, event) and
// one latency histogram per (client thread, phase). Events are numbered 0, 1, 2, ... by whoever
// produces them; a phase is a range of those numbers.
//
// Each client's counts are written by its own thread only (client i on thread i % threads,
// as ClientFleet places them) and read by tally() after the fleet's threads were joined; the
// histograms may be read at any time (they are atomics with one writer each).
#include <cstdint>
#include <memory>
#include <vector>

#include "../loadgen/latency_histogram.hpp"

namespace pulseboard::bench {

class PhaseHistograms {
 public:
  PhaseHistograms(std::size_t threads, std::size_t phases);
  // On the thread that owns `client` only.
  void record(std::size_t client, std::size_t phase, std::uint64_t micros) {
    histograms_[(client % threads_) * phases_ + phase]->record(micros);
  }
  LatencyHistogram::Snapshot snapshot(std::size_t phase) const;

 private:
  std::size_t threads_, phases_;
  std::vector<std::unique_ptr<LatencyHistogram>> histograms_;
};

struct DeliveryTally {
  std::uint64_t clients = 0;     // clients that ever connected
  std::uint64_t events = 0;      // events in the range
  std::uint64_t expected = 0;    // clients × events
  std::uint64_t delivered = 0;   // (client, event) pairs received at least once
  std::uint64_t missing = 0;     // pairs never received
  std::uint64_t duplicates = 0;  // receipts beyond the first
  std::uint64_t clients_missing_any = 0;
  std::uint64_t clients_with_duplicates = 0;
};

class DeliveryLedger {
 public:
  DeliveryLedger(std::size_t clients, std::uint64_t max_events, std::size_t threads,
                 std::size_t phases);

  void mark_connected(std::size_t client) { connected_[client] = 1; }
  // False (nothing recorded) when `event` is beyond max_events.
  bool record(std::size_t client, std::uint64_t event, std::size_t phase, std::uint64_t latency_us);
  // Frames recorded for a phase so far (duplicates included); any thread.
  std::uint64_t recorded(std::size_t phase) const { return latency(phase).total(); }
  LatencyHistogram::Snapshot latency(std::size_t phase) const { return latency_.snapshot(phase); }
  // Only once the client threads are joined.
  DeliveryTally tally(std::uint64_t first_event, std::uint64_t end_event) const;

 private:
  std::size_t clients_;
  std::uint64_t max_events_;
  std::vector<std::uint8_t> connected_;
  std::vector<std::uint8_t> counts_;  // clients × max_events, saturating at 255
  PhaseHistograms latency_;
};

}  // namespace pulseboard::bench
