// The reconnect storm (docs/benchmarks.md): N dashboards that reconnect as socket.io-client does
// (backoff with jitter, connection state recovery), all cut at once when the script restarts
// their server; how long until 99 % and 100 % of them are connected and receiving again.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <thread>

#include "auth/jwt.hpp"
#include "bridge_publisher.hpp"
#include "client_fleet.hpp"
#include "elapsed.hpp"
#include "file_limit.hpp"
#include "fleet_ramp.hpp"
#include "load_plan.hpp"
#include "process_stats.hpp"
#include "report_json.hpp"
#include "storm_ledger.hpp"

namespace pulseboard::bench {

namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

// One token per dashboard: recovery is allowed a few attempts per second per subject, and a
// real fleet of dashboards has one user each, not one between them.
std::vector<std::string> dashboard_tokens(const LoadPlan& plan) {
  std::vector<std::string> tokens(plan.clients, plan.token);
  if (plan.jwt_secret.empty()) return tokens;
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(6))
                 .count();
  for (std::size_t i = 0; i < tokens.size(); ++i)
    tokens[i] = auth::mint_hs256(plan.jwt_secret,
                                 json::object{{"sub", "dash-" + std::to_string(i)}, {"exp", exp}});
  return tokens;
}

// Seconds from the cut until client i was back (`back`) or receiving; 0 when it was never cut,
// infinite when it never came back.
std::vector<double> recovery_times(const StormLedger& ledger, std::uint64_t cut_ns, bool receiving,
                                   std::size_t clients) {
  std::vector<double> times;
  for (std::size_t i = 0; i < clients; ++i) {
    if (!ledger.cut(i)) {
      times.push_back(0);
      continue;
    }
    auto at = receiving ? std::max(ledger.receiving(i), ledger.back(i)) : ledger.back(i);
    bool done = ledger.back(i) && (!receiving || ledger.receiving(i));
    times.push_back(done ? static_cast<double>(at - cut_ns) / 1e9 : kNever);
  }
  std::sort(times.begin(), times.end());
  return times;
}

json::value at_fraction(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return nullptr;
  auto k = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  double v = sorted[std::max<std::size_t>(k, 1) - 1];
  return std::isinf(v) ? json::value(nullptr) : json::value(round3(v));
}

std::size_t count_done(const StormLedger& ledger, std::size_t clients) {
  std::size_t done = 0;
  for (std::size_t i = 0; i < clients; ++i)
    if (!ledger.cut(i) || (ledger.back(i) && ledger.receiving(i))) ++done;
  return done;
}

// Waits for the cut, then until every dashboard is receiving again or the bound passes.
// Returns false when no cut came.
bool watch_storm(const LoadPlan& plan, const StormLedger& ledger, std::size_t clients) {
  auto wait_start = clock_type::now();
  while (!ledger.first_cut_ns()) {
    if (seconds_since(wait_start) > plan.storm_wait_seconds) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto storm_start = clock_type::now();
  auto next_line = storm_start;
  while (seconds_since(storm_start) < plan.storm_seconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto done = count_done(ledger, clients);
    if (plan.progress && clock_type::now() >= next_line) {
      std::fprintf(stderr, "[storm %5.1fs] receiving again %zu of %zu\n",
                   seconds_since(storm_start), done, clients);
      next_line += std::chrono::seconds(1);
    }
    // Seconds after the last one is back, so that a straggler's cut is not missed.
    if (done == clients && seconds_since(storm_start) > 2) return true;
  }
  return true;
}

std::optional<ProcessSample> restarted_server(const std::string& pid_file) {
  std::ifstream in(pid_file);
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return sample_process(pid);
}

json::object storm_json(const LoadPlan& plan, const ClientFleet& fleet, const StormLedger& ledger,
                        std::size_t clients) {
  std::uint64_t cut_ns = ledger.first_cut_ns();
  std::size_t cut = 0;
  std::uint64_t attempts = 0, recoveries = 0;
  for (std::size_t i = 0; i < clients; ++i) cut += ledger.cut(i) ? 1 : 0;
  for (const auto& memory : fleet.sessions()) {
    attempts += memory.total_attempts;
    recoveries += memory.recoveries;
  }
  auto back = recovery_times(ledger, cut_ns, false, clients);
  auto receiving = recovery_times(ledger, cut_ns, true, clients);
  json::object storm{{"dashboards", clients},
                     {"cut", cut},
                     {"connection_attempts", attempts},
                     {"recovered_sessions", recoveries},
                     {"connected_99_s", at_fraction(back, 0.99)},
                     {"connected_100_s", at_fraction(back, 1.0)},
                     {"receiving_50_s", at_fraction(receiving, 0.50)},
                     {"receiving_99_s", at_fraction(receiving, 0.99)},
                     {"receiving_100_s", at_fraction(receiving, 1.0)},
                     {"receiving_at_end", count_done(ledger, clients)}};
  if (auto server = restarted_server(plan.server_pid_file)) {
    storm["server_cpu_s"] = round3(server->user_seconds + server->system_seconds);
    storm["server_user_s"] = round3(server->user_seconds);
    storm["server_rss_kb"] = server->rss_kb;
  }
  return storm;
}

}  // namespace

int run_storm(const LoadPlan& plan) {
  if (raise_file_limit() < plan.clients + 64) {
    std::fprintf(stderr, "loadgen: %llu clients need more open files than the limit\n",
                 static_cast<unsigned long long>(plan.clients));
    return 2;
  }
  auto settings = gateway_client_settings(plan.host, plan.port, plan.token);
  BridgePublisher publisher(plan.redis_url);
  if (!settings) return 2;
  if (auto error = publisher.connect()) {
    std::fprintf(stderr, "loadgen: %s\n", error->c_str());
    return 1;
  }
  StormLedger ledger(plan.clients);
  ClientFleet fleet(*settings, plan.threads, plan.source_octet, &ledger);
  fleet.enable_reconnect(dashboard_tokens(plan), ReconnectPolicy{});
  auto ramped = ramp(fleet, {.clients = plan.clients,
                             .connect_rate = plan.connect_rate,
                             .max_in_flight = plan.max_in_flight,
                             .timeout_seconds = plan.ramp_timeout_seconds});
  std::atomic<bool> stop{false};
  std::thread publishing([&] {
    StampedStream updates{
        .data_template = R"({"pad":"storm"})", .rate = plan.storm_rate, .event_id = true};
    publisher.run_streams({updates}, std::chrono::hours(1), &stop);
  });
  // Every dashboard has seen an event (and an offset to recover from) before the cut.
  std::this_thread::sleep_for(std::chrono::duration<double>(2.0 / plan.storm_rate + 0.5));
  std::uint64_t held = fleet.totals().held();
  ledger.arm();
  if (!plan.ready_file.empty()) std::ofstream(plan.ready_file) << held << "\n";
  bool cut = watch_storm(plan, ledger, plan.clients);
  stop = true;
  publishing.join();
  fleet.stop();  // the sessions' memory is read below
  json::object report{{"target", settings->host_header},
                      {"connections",
                       {{"requested", plan.clients},
                        {"held_before_cut", held},
                        {"failed", ramped.totals.failed},
                        {"ramp_seconds", round3(ramped.seconds)}}},
                      {"cut_seen", cut},
                      {"storm", storm_json(plan, fleet, ledger, plan.clients)}};
  std::printf("%s\n", json::serialize(report).c_str());
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace pulseboard::bench
