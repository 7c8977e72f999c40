#pragma once
// What one load generator run does: ramp up to `clients` connections, then either hold them
// (`hold_seconds`) or run the publishing phases in order on the same connections.
#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pulseboard::bench {

struct Phase {
  std::string name;       // "10/s 100B", "sat 1024B"
  double rate = 0;        // messages per second; ignored when saturate
  bool saturate = false;  // offered load = saturation_frames_per_s / connections held
  std::size_t payload_bytes = 100;
  double seconds = 10;
  // The dashboard mix: `rate` per-order updates per second plus the 1/s snapshot, from the
  // plan's templates (payload_bytes is then the update's data size).
  bool mix = false;
};

// "RATE:BYTES:SECONDS", RATE a number or "sat"; or "mix:RATE:SECONDS". nullopt when malformed.
std::optional<Phase> parse_phase(const std::string& text);

struct LoadPlan {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4000;
  std::string token;
  std::uint64_t clients = 1000;
  unsigned threads = 1;
  std::uint8_t source_octet = 2;
  double connect_rate = 2000;    // new connections per second
  unsigned max_in_flight = 256;  // handshakes under way at once (bounded: the server's backlog)
  double ramp_timeout_seconds = 120;
  double hold_seconds = 0;
  std::vector<Phase> phases;
  std::string redis_url = "redis://127.0.0.1:6379";
  double saturation_frames_per_s = 400000;
  double drain_seconds = 10;  // after a phase, wait at most this long for late frames
  pid_t server_pid = 0;       // 0: no server CPU/RSS figures
  bool progress = true;
  std::string ready_file;  // created once the ramp is over, for scripts that coordinate processes
  // The dashboard mix's data objects (serialized JSON objects, without t/seq/eventId).
  std::string order_template = "{}";
  std::string snapshot_template = "{}";
  double snapshot_rate = 1;
  // Reconnect storm (storm_seconds > 0): after the ramp, publish updates with an eventId at
  // storm_rate, wait up to storm_wait_seconds for the connections to drop (the script restarts
  // the server), then measure the recovery for at most storm_seconds.
  double storm_seconds = 0;
  double storm_wait_seconds = 60;
  double storm_rate = 10;
  std::string jwt_secret;       // per-dashboard tokens (subject dash-<i>) in the storm
  std::string server_pid_file;  // the restarted server's pid, for its CPU during the storm
};

// The storm (storm_run.cpp): the ramp, the cut, the recovery; JSON report on stdout.
int run_storm(const LoadPlan& plan);

// Runs the plan and prints the JSON report on stdout; the exit status is nonzero when setup fails.
int run_load(const LoadPlan& plan);

}  // namespace pulseboard::bench
