// The database-latency run (db_latency_plan.hpp): schema, dashboards, commit phases, report.
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "../loadgen/client_fleet.hpp"
#include "../loadgen/elapsed.hpp"
#include "../loadgen/fleet_ramp.hpp"
#include "../loadgen/frame_timestamp.hpp"
#include "../loadgen/process_stats.hpp"
#include "db_event_sink.hpp"
#include "db_latency_plan.hpp"
#include "probe_json.hpp"

namespace pulseboard::bench {

namespace json = boost::json;
using clock = std::chrono::steady_clock;

namespace {

struct PhaseOutcome {
  WriteResult write;
  std::uint64_t connections = 0;  // held when the phase began
  std::uint64_t dropped = 0;
  double drain_seconds = 0;
  json::object processes;
};

// The named processes, then this one (the writer and the dashboards) as "probe".
std::vector<std::optional<ProcessSample>> sample_all(const DbLatencyPlan& plan) {
  std::vector<std::optional<ProcessSample>> samples;
  for (const auto& [name, pid] : plan.processes) samples.push_back(sample_process(pid));
  samples.push_back(sample_self());
  return samples;
}

// CPU each process spent during the phase, per committed event.
json::object process_cpu(const DbLatencyPlan& plan,
                         const std::vector<std::optional<ProcessSample>>& before,
                         const std::vector<std::optional<ProcessSample>>& after,
                         std::uint64_t events) {
  json::object out;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (!before[i] || !after[i]) continue;
    auto name = i < plan.processes.size() ? plan.processes[i].first : std::string("probe");
    double cpu = after[i]->user_seconds + after[i]->system_seconds - before[i]->user_seconds -
                 before[i]->system_seconds;
    out[name] = {
        {"cpu_s", round3(cpu)},
        {"cpu_us_per_commit", events ? round3(cpu * 1e6 / static_cast<double>(events)) : 0.0},
        {"rss_kb", after[i]->rss_kb}};
  }
  return out;
}

}  // namespace

int run_db_latency(const DbLatencyPlan& plan) {
  // Unique per run, so a database that already holds orders (a second run) is no obstacle.
  auto nonce = std::to_string(unix_now_ns() / 1000 % 1'000'000'000);
  OrderWriter writer(plan.database_url, "dbl" + nonce + "-");
  for (auto step : {&OrderWriter::connect, &OrderWriter::create_schema, &OrderWriter::prepare}) {
    if (auto error = (writer.*step)()) {
      std::fprintf(stderr, "db-latency: %s\n", error->c_str());
      return 1;
    }
    if (plan.schema_only && step == &OrderWriter::create_schema) return 0;
  }

  std::uint64_t capacity = 16;
  for (const auto& p : plan.phases) capacity += static_cast<std::uint64_t>(p.rate * p.seconds + 1);
  CommitLog log(capacity);
  DeliveryLedger ledger(plan.clients, capacity, plan.threads, plan.phases.size());
  PhaseHistograms from_committed_at(plan.threads, plan.phases.size());
  DbEventSink sink(log, ledger, from_committed_at, writer.id_prefix(), plan.threads);

  auto settings = gateway_client_settings(plan.host, plan.port, plan.token);
  if (!settings) {
    std::fprintf(stderr, "db-latency: --host must be an IPv4 address\n");
    return 2;
  }
  ClientFleet fleet(*settings, plan.threads, plan.source_octet, &sink);
  auto ramped = ramp(
      fleet,
      {.clients = plan.clients, .connect_rate = 500, .max_in_flight = 64, .timeout_seconds = 30});
  if (plan.progress)
    std::fprintf(stderr, "db-latency: %llu of %llu dashboards connected in %.1f s\n",
                 static_cast<unsigned long long>(ramped.totals.held()),
                 static_cast<unsigned long long>(plan.clients), ramped.seconds);
  // The gateway sends the retained snapshot on connect; let that settle first.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  std::vector<PhaseOutcome> outcomes;
  std::uint64_t next_event = 0;
  for (std::size_t i = 0; i < plan.phases.size(); ++i) {
    const auto& phase = plan.phases[i];
    PhaseOutcome o;
    auto before = fleet.totals();
    o.connections = before.held();
    auto cpu_before = sample_all(plan);
    o.write = writer.run(phase.rate, std::chrono::duration<double>(phase.seconds),
                         static_cast<std::uint8_t>(i), log, next_event);
    // Wait for the last events: all expected frames in, none for a second, or the bound.
    auto expected = o.write.committed * o.connections;
    auto drain_start = clock::now();
    auto last_change = drain_start;
    auto last_seen = ledger.recorded(i);
    while (last_seen < expected && seconds_since(drain_start) < plan.drain_seconds &&
           seconds_since(last_change) < 1.0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (auto seen = ledger.recorded(i); seen != last_seen) {
        last_seen = seen;
        last_change = clock::now();
      }
    }
    o.drain_seconds = seconds_since(drain_start);
    o.processes = process_cpu(plan, cpu_before, sample_all(plan), o.write.committed);
    o.dropped = fleet.totals().dropped - before.dropped;
    if (plan.progress) {
      auto l = ledger.latency(i);
      std::fprintf(stderr,
                   "db-latency: %-10s %llu commits in %.1f s, %llu of %llu frames, p50 %.2f ms, "
                   "p99 %.2f ms\n",
                   phase.name.c_str(), static_cast<unsigned long long>(o.write.committed),
                   o.write.seconds, static_cast<unsigned long long>(l.total()),
                   static_cast<unsigned long long>(expected), l.percentile(0.5) / 1000,
                   l.percentile(0.99) / 1000);
    }
    outcomes.push_back(std::move(o));
  }
  auto end = fleet.totals();
  auto counts = sink.totals();
  fleet.stop();

  json::array phases;
  for (std::size_t i = 0; i < plan.phases.size(); ++i) {
    const auto& p = plan.phases[i];
    const auto& o = outcomes[i];
    const auto& w = o.write;
    phases.push_back(
        json::object{{"name", p.name},
                     {"warmup", p.warmup},
                     {"target_commits_per_s", p.rate},
                     {"seconds", round3(w.seconds)},
                     {"committed", w.committed},
                     {"commit_errors", w.errors},
                     {"late_commits", w.late},
                     {"achieved_commits_per_s",
                      w.seconds > 0 ? round3(static_cast<double>(w.committed) / w.seconds) : 0.0},
                     {"commit_round_trip_us", latency_json(w.commit_round_trip)},
                     {"connections", o.connections},
                     {"dropped_connections", o.dropped},
                     {"drain_seconds", round3(o.drain_seconds)},
                     {"delivery", tally_json(ledger.tally(w.first_event, w.end_event))},
                     {"latency_us", latency_json(ledger.latency(i))},
                     {"latency_from_committed_at_us", latency_json(from_committed_at.snapshot(i))},
                     {"processes", o.processes}});
  }
  json::object report{
      {"tool", "pulseboard_db_latency"},
      {"write_path",
       "libpq, one connection, one autocommit INSERT of a completed order per commit"},
      {"latency_from", "the writer's receipt of the commit acknowledgement (CLOCK_REALTIME)"},
      {"gateway", settings->host_header},
      {"dashboards",
       {{"requested", plan.clients},
        {"held", ramped.totals.held()},
        {"failed", ramped.totals.failed},
        {"held_at_end", end.held()},
        {"threads", fleet.threads()}}},
      {"other_events", counts.other_events},
      {"arrived_before_commit_ack", counts.before_ack},
      {"events_without_committed_at", counts.without_commit},
      {"phases", std::move(phases)}};
  std::printf("%s\n", json::serialize(report).c_str());
  return 0;
}

}  // namespace pulseboard::bench
