// pulseboard_loadgen: Socket.IO load generator and latency probe for the gateway and for the
// Node baseline (docs/benchmarks.md).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>

#include "auth/jwt.hpp"
#include "load_plan.hpp"

using pulseboard::bench::LoadPlan;

namespace {

// A captured data object (a worker's metrics-update or metrics-snapshot) as a template for the
// publisher: its own stamps are dropped, the publisher adds fresh ones.
std::optional<std::string> data_template(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  auto& object = value.as_object();
  for (auto key : {"t", "seq", "eventId"}) object.erase(key);
  return boost::json::serialize(object);
}

}  // namespace

int main(int argc, char** argv) {
  LoadPlan plan;
  std::vector<std::string> phase_specs;
  std::string jwt_secret = std::getenv("JWT_SECRET") ? std::getenv("JWT_SECRET") : "";
  int server_pid = 0;
  int source_octet = plan.source_octet;
  bool quiet = false;

  CLI::App app{
      "Socket.IO load generator: WebSocket clients, a Redis bridge publisher, a JSON report"};
  app.add_option("--host", plan.host, "Server address (IPv4 loopback)");
  app.add_option("--port", plan.port, "Server port");
  app.add_option("--clients", plan.clients, "Connections to open (one process: up to ~19,900)");
  app.add_option("--threads", plan.threads, "Client threads, one io_context each");
  app.add_option("--source-octet", source_octet,
                 "Source addresses are 127.<octet>.x.y; give each process its own")
      ->check(CLI::Range(1, 254));
  app.add_option("--connect-rate", plan.connect_rate, "New connections per second during the ramp");
  app.add_option("--max-in-flight", plan.max_in_flight, "Handshakes under way at once");
  app.add_option("--ramp-timeout", plan.ramp_timeout_seconds, "Give up the ramp after this many s");
  app.add_option("--hold", plan.hold_seconds, "After the ramp, hold the connections this many s");
  app.add_option("--phase", phase_specs,
                 "RATE:BYTES:SECONDS publishing phase, RATE in msg/s or 'sat' (repeatable)");
  app.add_option("--redis-url", plan.redis_url, "Redis the server subscribes to");
  app.add_option("--saturation-frames", plan.saturation_frames_per_s,
                 "Offered frames/s of a 'sat' phase (message rate = this / connections)");
  app.add_option("--drain", plan.drain_seconds, "Wait at most this long for late frames per phase");
  app.add_option("--server-pid", server_pid, "Server process for CPU and RSS figures");
  app.add_option("--token", plan.token, "CONNECT auth token (default: minted from --jwt-secret)");
  app.add_option("--jwt-secret", jwt_secret, "HS256 secret to mint a token with (env JWT_SECRET)");
  app.add_option("--ready-file", plan.ready_file, "Create this file when the ramp is over");
  app.add_flag("--quiet", quiet, "No progress lines on stderr");
  std::string order_file, snapshot_file;
  app.add_option("--order-file", order_file, "mix phases: a metrics-update data object (JSON)");
  app.add_option("--snapshot-file", snapshot_file,
                 "mix phases: a metrics-snapshot data object (JSON), sent retained at 1/s");
  app.add_option("--storm", plan.storm_seconds,
                 "Reconnect storm: after the ramp, measure the recovery from the cut for at most "
                 "this many s");
  app.add_option("--storm-wait", plan.storm_wait_seconds, "Storm: wait this long for the cut");
  app.add_option("--storm-rate", plan.storm_rate, "Storm: updates per second meanwhile");
  app.add_option("--server-pid-file", plan.server_pid_file,
                 "Storm: file holding the restarted server's pid (its CPU is the storm's)");
  CLI11_PARSE(app, argc, argv);
  for (auto [path, target] : {std::pair{&order_file, &plan.order_template},
                              std::pair{&snapshot_file, &plan.snapshot_template}}) {
    if (path->empty()) continue;
    auto loaded = data_template(*path);
    if (!loaded) {
      std::fprintf(stderr, "loadgen: %s is not a JSON object\n", path->c_str());
      return 2;
    }
    *target = *loaded;
  }

  for (const auto& spec : phase_specs) {
    auto phase = pulseboard::bench::parse_phase(spec);
    if (!phase) {
      std::fprintf(stderr, "loadgen: bad --phase '%s' (want RATE:BYTES:SECONDS)\n", spec.c_str());
      return 2;
    }
    plan.phases.push_back(*phase);
  }
  if (plan.token.empty()) {
    if (jwt_secret.empty()) {
      plan.token = "bench";  // enough for a server that only checks that a token is present
    } else {
      auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(6))
                     .count();
      plan.token = pulseboard::auth::mint_hs256(
          jwt_secret, boost::json::object{{"sub", "loadgen"}, {"exp", exp}});
    }
  }
  plan.jwt_secret = jwt_secret;
  plan.server_pid = server_pid;
  plan.source_octet = static_cast<std::uint8_t>(source_octet);
  plan.progress = !quiet;
  return pulseboard::bench::run_load(plan);
}
