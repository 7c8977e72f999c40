#include "delivery_ledger.hpp"

#include <algorithm>

namespace pulseboard::bench {

PhaseHistograms::PhaseHistograms(std::size_t threads, std::size_t phases)
    : threads_(std::max<std::size_t>(threads, 1)), phases_(std::max<std::size_t>(phases, 1)) {
  for (std::size_t i = 0; i < threads_ * phases_; ++i)
    histograms_.push_back(std::make_unique<LatencyHistogram>());
}

LatencyHistogram::Snapshot PhaseHistograms::snapshot(std::size_t phase) const {
  LatencyHistogram::Snapshot s;
  for (std::size_t t = 0; t < threads_; ++t) histograms_[t * phases_ + phase]->add_to(s);
  return s;
}

DeliveryLedger::DeliveryLedger(std::size_t clients, std::uint64_t max_events, std::size_t threads,
                               std::size_t phases)
    : clients_(clients),
      max_events_(max_events),
      connected_(clients, 0),
      counts_(clients * max_events, 0),
      latency_(threads, phases) {}

bool DeliveryLedger::record(std::size_t client, std::uint64_t event, std::size_t phase,
                            std::uint64_t latency_us) {
  if (event >= max_events_ || client >= clients_) return false;
  auto& count = counts_[client * max_events_ + event];
  if (count < 255) ++count;
  latency_.record(client, phase, latency_us);
  return true;
}

DeliveryTally DeliveryLedger::tally(std::uint64_t first_event, std::uint64_t end_event) const {
  DeliveryTally t;
  end_event = std::min(end_event, max_events_);
  t.events = end_event > first_event ? end_event - first_event : 0;
  for (std::size_t c = 0; c < clients_; ++c) {
    if (!connected_[c]) continue;
    ++t.clients;
    std::uint64_t missing = 0, duplicates = 0;
    for (auto e = first_event; e < end_event; ++e) {
      auto n = counts_[c * max_events_ + e];
      if (n == 0) ++missing;
      if (n > 1) duplicates += n - 1;
    }
    t.missing += missing;
    t.duplicates += duplicates;
    t.clients_missing_any += missing ? 1 : 0;
    t.clients_with_duplicates += duplicates ? 1 : 0;
  }
  t.expected = t.clients * t.events;
  t.delivered = t.expected - t.missing;
  return t;
}

}  // namespace pulseboard::bench
