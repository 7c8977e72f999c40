#pragma once
// What one database-latency run does: create the orders table if needed, connect `clients`
// dashboards to a gateway, then commit orders at each phase's rate and measure, per event and
// per dashboard, the time from the commit's acknowledgement to the metrics-update frame.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pulseboard::bench {

struct CommitPhase {
  std::string name;  // "1000/s"
  double rate = 0;   // commits per second
  double seconds = 0;
  bool warmup = false;  // reported, never judged
};

struct DbLatencyPlan {
  std::string database_url;
  std::string host = "127.0.0.1";
  std::uint16_t port = 4000;  // gateway
  std::string token;
  std::uint64_t clients = 100;
  unsigned threads = 1;
  std::uint8_t source_octet = 2;
  std::vector<CommitPhase> phases;
  double drain_seconds = 5;  // after a phase, wait at most this long for the last events
  std::vector<std::pair<std::string, pid_t>> processes;  // CPU figures per phase
  bool schema_only = false;
  bool progress = true;
};

// Prints the JSON report on stdout; nonzero when setup fails.
int run_db_latency(const DbLatencyPlan& plan);

}  // namespace pulseboard::bench
