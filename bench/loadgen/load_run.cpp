// The run itself: ramp, hold or publish phases, and the JSON report (load_plan.hpp).
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>

#include "bridge_publisher.hpp"
#include "client_fleet.hpp"
#include "elapsed.hpp"
#include "file_limit.hpp"
#include "fleet_ramp.hpp"
#include "frame_timestamp.hpp"
#include "load_plan.hpp"
#include "process_stats.hpp"
#include "report_json.hpp"

namespace pulseboard::bench {

namespace json = boost::json;
using clock = std::chrono::steady_clock;

namespace {

double round4(double v) {
  return std::round(v * 10000) / 10000;
}

// Prints one progress line on stderr per second: connections, frames/s and p99 of the phase.
class Progress {
 public:
  Progress(const ClientFleet& fleet, bool enabled) : fleet_(fleet), enabled_(enabled) {}
  void set_phase(std::string label, LatencyHistogram::Snapshot baseline) {
    label_ = std::move(label);
    baseline_ = baseline;
  }
  void tick() {
    if (!enabled_ || clock::now() < next_) return;
    auto t = fleet_.totals();
    double dt = std::chrono::duration<double>(clock::now() - last_).count();
    double fps = dt > 0 ? static_cast<double>(t.frames - last_frames_) / dt : 0;
    auto p99 = (fleet_.latency() - baseline_).percentile(0.99) / 1000.0;
    std::fprintf(stderr,
                 "[%7.1fs] %-12s held %llu failed %llu dropped %llu in-flight %llu | %.0f frames/s "
                 "| p99 %.2f ms\n",
                 seconds_since(start_), label_.c_str(), static_cast<unsigned long long>(t.held()),
                 static_cast<unsigned long long>(t.failed),
                 static_cast<unsigned long long>(t.dropped),
                 static_cast<unsigned long long>(t.in_flight()), fps, p99);
    last_ = clock::now();
    last_frames_ = t.frames;
    next_ += std::chrono::seconds(1);
  }

 private:
  const ClientFleet& fleet_;
  bool enabled_;
  std::string label_ = "ramp";
  LatencyHistogram::Snapshot baseline_{};
  clock::time_point start_ = clock::now();
  clock::time_point next_ = start_ + std::chrono::seconds(1);
  clock::time_point last_ = start_;
  std::uint64_t last_frames_ = 0;
};

json::object server_cpu_json(const std::optional<ProcessSample>& before,
                             const std::optional<ProcessSample>& after, std::uint64_t frames) {
  if (!before || !after) return {{"available", false}};
  double user = after->user_seconds - before->user_seconds;
  double sys = after->system_seconds - before->system_seconds;
  double per = frames ? 1e6 / static_cast<double>(frames) : 0;
  return {{"user_s", round3(user)},
          {"sys_s", round3(sys)},
          {"user_us_per_frame", round4(user * per)},
          {"sys_us_per_frame", round4(sys * per)},
          {"cpu_us_per_frame", round4((user + sys) * per)},
          {"rss_kb", after->rss_kb}};
}

// The per-order updates at `rate` and the snapshot at the plan's snapshot rate, as the worker
// publishes them (the snapshot retained, the updates with an eventId).
std::vector<StampedStream> mix_streams(const LoadPlan& plan, double rate) {
  return {{.event = "metrics-update",
           .data_template = plan.order_template,
           .rate = rate,
           .retain = false,
           .event_id = true},
          {.event = "metrics-snapshot",
           .data_template = plan.snapshot_template,
           .rate = plan.snapshot_rate,
           .retain = true,
           .event_id = false}};
}

// What the phase cost per dashboard: WebSocket bytes received and server CPU, per second.
json::object per_dashboard_json(std::uint64_t bytes, double cpu_seconds, std::uint64_t held,
                                double seconds) {
  double per = held && seconds > 0 ? 1.0 / (static_cast<double>(held) * seconds) : 0;
  return {{"bytes_per_s", std::round(static_cast<double>(bytes) * per)},
          {"server_cpu_us_per_s", round4(cpu_seconds * 1e6 * per)}};
}

json::object run_phase(const LoadPlan& plan, const Phase& phase, ClientFleet& fleet,
                       BridgePublisher& publisher, Progress& progress) {
  auto before = fleet.totals();
  auto latency_before = fleet.latency();
  auto server_before = plan.server_pid ? sample_process(plan.server_pid) : std::nullopt;
  auto self_before = sample_self();
  std::uint64_t held = before.held();
  double rate = phase.saturate ? plan.saturation_frames_per_s /
                                     static_cast<double>(std::max<std::uint64_t>(held, 1))
                               : phase.rate;
  progress.set_phase(phase.name, latency_before);
  fleet.begin_phase(unix_now_ns());

  BridgeMessageShape shape;
  shape.data_bytes = phase.mix ? plan.order_template.size() : phase.payload_bytes;
  PublishResult published;
  std::atomic<bool> done{false};
  auto publish_start = clock::now();
  std::thread publishing([&] {
    auto duration = std::chrono::duration<double>(phase.seconds);
    published = phase.mix ? publisher.run_streams(mix_streams(plan, rate), duration)
                          : publisher.run(shape, rate, duration);
    done = true;
  });
  std::uint64_t last_frames = before.frames;
  auto last_change = publish_start;
  auto watch = [&] {
    auto now_frames = fleet.totals().frames;
    if (now_frames != last_frames) {
      last_frames = now_frames;
      last_change = clock::now();
    }
    progress.tick();
  };
  while (!done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    watch();
  }
  publishing.join();
  auto publish_end = clock::now();
  std::uint64_t expected = published.published * held;
  // Late frames: wait until all expected frames are in, or none arrived for a second, or the
  // drain bound passed (a saturated server may still be working through its queues).
  for (;;) {
    watch();
    if (last_frames - before.frames >= expected) break;
    if (clock::now() - last_change > std::chrono::seconds(1)) break;
    if (seconds_since(publish_end) > plan.drain_seconds) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto after = fleet.totals();
  auto latency = fleet.latency() - latency_before;
  auto server_after = plan.server_pid ? sample_process(plan.server_pid) : std::nullopt;
  auto self_after = sample_self();
  std::uint64_t received = after.frames - before.frames;
  double active =
      std::max(1e-3, std::chrono::duration<double>(last_change - publish_start).count());
  auto server = server_cpu_json(server_before, server_after, received);
  double server_cpu = server.contains("user_s")
                          ? server.at("user_s").as_double() + server.at("sys_s").as_double()
                          : 0;
  double self_cpu = self_after.user_seconds + self_after.system_seconds - self_before.user_seconds -
                    self_before.system_seconds;

  return {{"name", phase.name},
          {"saturate", phase.saturate},
          {"mix", phase.mix},
          {"rate_msgs_per_s", round3(rate)},
          {"payload_bytes", phase.mix ? plan.order_template.size() : phase.payload_bytes},
          {"snapshot_bytes", phase.mix ? plan.snapshot_template.size() : 0},
          {"seconds", phase.seconds},
          {"connections", held},
          {"published", published.published},
          {"publish_errors", published.errors},
          {"publish_late", published.late},
          {"expected_frames", expected},
          {"received_frames", received},
          {"delivery_ratio",
           expected ? static_cast<double>(received) / static_cast<double>(expected) : 0.0},
          {"frames_per_s", std::round(static_cast<double>(received) / active)},
          {"offered_frames_per_s", std::round(rate * static_cast<double>(held))},
          {"dropped_connections", after.dropped - before.dropped},
          {"untimed_frames", after.untimed_frames - before.untimed_frames},
          {"stale_frames", after.stale_frames - before.stale_frames},
          {"latency_us", latency_json(latency)},
          {"server", std::move(server)},
          {"per_dashboard",
           per_dashboard_json(after.bytes - before.bytes, server_cpu, held, phase.seconds)},
          {"loadgen_cpu_us_per_frame",
           received ? self_cpu * 1e6 / static_cast<double>(received) : 0.0}};
}

}  // namespace

int run_load(const LoadPlan& plan) {
  if (plan.storm_seconds > 0) return run_storm(plan);
  auto file_limit = raise_file_limit();
  if (file_limit < plan.clients + 64) {
    std::fprintf(stderr,
                 "loadgen: %llu clients need more open files than the limit (%llu); run several "
                 "processes with distinct --source-octet\n",
                 static_cast<unsigned long long>(plan.clients),
                 static_cast<unsigned long long>(file_limit));
    return 2;
  }
  auto settings = gateway_client_settings(plan.host, plan.port, plan.token);
  if (!settings) {
    std::fprintf(stderr, "loadgen: --host must be an IPv4 loopback address\n");
    return 2;
  }

  std::unique_ptr<BridgePublisher> publisher;
  if (!plan.phases.empty()) {
    publisher = std::make_unique<BridgePublisher>(plan.redis_url);
    if (auto error = publisher->connect()) {
      std::fprintf(stderr, "loadgen: %s\n", error->c_str());
      return 1;
    }
  }

  auto server_idle = plan.server_pid ? sample_process(plan.server_pid) : std::nullopt;
  ClientFleet fleet(*settings, plan.threads, plan.source_octet);
  Progress progress(fleet, plan.progress);

  // Ramp: launch on a schedule of connect_rate per second, never more than max_in_flight
  // handshakes at once.
  auto [ramped, ramp_seconds] = ramp(fleet,
                                     {.clients = plan.clients,
                                      .connect_rate = plan.connect_rate,
                                      .max_in_flight = plan.max_in_flight,
                                      .timeout_seconds = plan.ramp_timeout_seconds},
                                     [&] { progress.tick(); });
  if (!plan.ready_file.empty()) std::ofstream(plan.ready_file) << ramped.held() << "\n";
  // Let the server settle (garbage collection, lazily grown buffers) before reading its memory.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto server_ramped = plan.server_pid ? sample_process(plan.server_pid) : std::nullopt;

  json::object report;
  report["target"] = settings->host_header;
  report["server_pid"] = plan.server_pid;
  report["threads"] = plan.threads;
  std::uint64_t held = fleet.totals().held();
  report["connections"] = {
      {"requested", plan.clients},
      {"held", held},
      {"failed", ramped.failed},
      {"dropped_during_ramp", ramped.dropped},
      {"still_in_flight", ramped.in_flight()},
      {"ramp_seconds", round3(ramp_seconds)},
      {"connect_rate_per_s", std::round(static_cast<double>(ramped.connected) / ramp_seconds)}};
  if (server_idle && server_ramped && held) {
    // Plain copies: GCC 12 misreads optional members inside json initializer lists as
    // maybe-uninitialized.
    const double before_kb = static_cast<double>(server_idle.value().rss_kb);
    const double held_kb = static_cast<double>(server_ramped.value().rss_kb);
    const double count = static_cast<double>(held);
    json::object memory;
    memory["rss_kb_before"] = before_kb;
    memory["rss_kb_held"] = held_kb;
    memory["rss_bytes_per_connection"] = std::round(held_kb * 1024 / count);
    memory["rss_delta_bytes_per_connection"] = std::round((held_kb - before_kb) * 1024 / count);
    report["server_idle_memory"] = std::move(memory);
  }

  if (plan.hold_seconds > 0) {
    progress.set_phase("hold", fleet.latency());
    auto hold_start = clock::now();
    while (seconds_since(hold_start) < plan.hold_seconds) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      progress.tick();
    }
    report["held_after_hold"] = fleet.totals().held();
  }

  json::array phases;
  for (const auto& phase : plan.phases)
    phases.push_back(run_phase(plan, phase, fleet, *publisher, progress));
  report["phases"] = std::move(phases);
  auto end = fleet.totals();
  report["held_at_end"] = end.held();
  report["pings_answered"] = end.pings;

  fleet.stop();
  std::printf("%s\n", json::serialize(report).c_str());
  std::fflush(stdout);
  // 19k sockets are closed by the kernel at exit; running their destructors adds nothing.
  std::_Exit(0);
}

}  // namespace pulseboard::bench
