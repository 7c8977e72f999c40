#pragma once
// What a dashboard does with each frame in the database-latency probe: a `metrics-update`
// whose id is one of this run's orders is matched to the commit log, and its latency from the
// commit's acknowledgement (µs clock of the writer) and from the event's own `committedAt`
// (PostgreSQL's commit timestamp, ms) is recorded. Everything else is counted and left alone.
#include <atomic>
#include <memory>
#include <string>

#include "../loadgen/fleet_counters.hpp"
#include "../loadgen/frame_sink.hpp"
#include "delivery_ledger.hpp"
#include "frame_fields.hpp"
#include "order_writer.hpp"

namespace pulseboard::bench {

class DbEventSink : public FrameSink {
 public:
  struct alignas(64) ThreadCounters {
    std::atomic<std::uint64_t> other_events{0};    // snapshots, events of other writers
    std::atomic<std::uint64_t> before_ack{0};      // arrived before the writer saw the commit
    std::atomic<std::uint64_t> without_commit{0};  // no committedAt in the event
  };

  DbEventSink(const CommitLog& log, DeliveryLedger& ledger, PhaseHistograms& from_committed_at,
              std::string id_prefix, unsigned threads)
      : log_(log),
        ledger_(ledger),
        from_committed_at_(from_committed_at),
        id_key_("\"id\":\"" + id_prefix),
        threads_(threads ? threads : 1),
        counters_(new ThreadCounters[threads_]) {}

  void on_connected(std::size_t client) override { ledger_.mark_connected(client); }

  void on_event(std::size_t client, std::string_view frame, std::uint64_t receipt_ns) override {
    auto& counters = counters_[client % threads_];
    auto event = is_event(frame, "metrics-update") ? number_after(frame, id_key_) : std::nullopt;
    if (!event || *event >= log_.capacity) return FleetCounters::bump(counters.other_events);
    auto committed = log_.acked_ns[*event].load(std::memory_order_acquire);
    if (committed == 0) {
      // The event overtook the writer's acknowledgement: count it, measure from the send.
      FleetCounters::bump(counters.before_ack);
      committed = log_.sent_ns[*event].load(std::memory_order_acquire);
    }
    // Stored before sent_ns and acked_ns (release), so visible once either is.
    auto phase = log_.phase[*event].load(std::memory_order_relaxed);
    ledger_.record(client, *event, phase,
                   receipt_ns > committed ? (receipt_ns - committed) / 1000 : 0);
    if (auto ms = number_after(frame, "\"committedAt\":")) {
      auto at_ns = *ms * 1'000'000;
      from_committed_at_.record(client, phase,
                                receipt_ns > at_ns ? (receipt_ns - at_ns) / 1000 : 0);
    } else {
      FleetCounters::bump(counters.without_commit);
    }
  }

  struct Totals {
    std::uint64_t other_events = 0, before_ack = 0, without_commit = 0;
  };
  Totals totals() const {
    Totals t;
    for (unsigned i = 0; i < threads_; ++i) {
      t.other_events += counters_[i].other_events.load(std::memory_order_relaxed);
      t.before_ack += counters_[i].before_ack.load(std::memory_order_relaxed);
      t.without_commit += counters_[i].without_commit.load(std::memory_order_relaxed);
    }
    return t;
  }

 private:
  const CommitLog& log_;
  DeliveryLedger& ledger_;
  PhaseHistograms& from_committed_at_;
  std::string id_key_;
  unsigned threads_;
  std::unique_ptr<ThreadCounters[]> counters_;
};

}  // namespace pulseboard::bench
