// pulseboard_cluster_probe: the cluster measurement of docs/benchmarks.md ("A cluster of
// gateways at the connection limit"). Two roles:
//   clients  hold N dashboards on one gateway, then check that each of them receives each of
//            the M bridge messages exactly once, and how late; JSON report on stdout.
//   publish  publish M bridge messages on Redis at a steady rate (once every clients process
//            is ready).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "../dblatency/probe_json.hpp"
#include "../loadgen/bridge_publisher.hpp"
#include "../loadgen/client_fleet.hpp"
#include "../loadgen/elapsed.hpp"
#include "../loadgen/file_limit.hpp"
#include "../loadgen/fleet_ramp.hpp"
#include "auth/jwt.hpp"
#include "bridge_event_sink.hpp"

namespace bench = pulseboard::bench;
using bench::seconds_since;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

struct ClientsPlan {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4000;
  std::string token;
  std::uint64_t clients = 1000;
  unsigned threads = 1;
  int source_octet = 2;
  std::uint64_t messages = 10;
  double connect_rate = 2000;
  unsigned max_in_flight = 256;
  double ramp_timeout = 150;
  double listen_timeout = 120;  // after the ramp: the other processes' ramps, publishing, drain
  std::string ready_file;
};

int run_clients(const ClientsPlan& plan) {
  auto limit = bench::raise_file_limit();
  if (limit < plan.clients + 64) {
    std::fprintf(stderr, "cluster-probe: %llu clients need more open files than the limit (%llu)\n",
                 static_cast<unsigned long long>(plan.clients),
                 static_cast<unsigned long long>(limit));
    return 2;
  }
  auto settings = bench::gateway_client_settings(plan.host, plan.port, plan.token);
  if (!settings) return 2;
  bench::DeliveryLedger ledger(plan.clients, plan.messages, plan.threads, 1);
  bench::BridgeEventSink sink(ledger, plan.threads);
  bench::ClientFleet fleet(*settings, plan.threads, static_cast<std::uint8_t>(plan.source_octet),
                           &sink);
  auto ramped = bench::ramp(fleet, {.clients = plan.clients,
                                    .connect_rate = plan.connect_rate,
                                    .max_in_flight = plan.max_in_flight,
                                    .timeout_seconds = plan.ramp_timeout});
  auto held = ramped.totals.held();
  if (!plan.ready_file.empty()) std::ofstream(plan.ready_file) << held << "\n";
  std::fprintf(stderr, "cluster-probe: port %u: %llu of %llu connected in %.1f s\n", plan.port,
               static_cast<unsigned long long>(held), static_cast<unsigned long long>(plan.clients),
               ramped.seconds);

  // Every message at every client, then one more second for duplicates; or the bound.
  auto listen_start = clock_type::now();
  double complete_at = -1;
  while (seconds_since(listen_start) < plan.listen_timeout) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (complete_at < 0 && ledger.recorded(0) >= plan.messages * fleet.totals().held())
      complete_at = seconds_since(listen_start);
    if (complete_at >= 0 && seconds_since(listen_start) > complete_at + 1) break;
  }
  auto end = fleet.totals();
  fleet.stop();
  auto latency = ledger.latency(0);
  json::object report{
      {"port", plan.port},
      {"source_octet", plan.source_octet},
      {"connections",
       {{"requested", plan.clients},
        {"held", held},
        {"failed", ramped.totals.failed},
        {"ramp_seconds", bench::round3(ramped.seconds)},
        {"connect_rate_per_s",
         std::round(static_cast<double>(ramped.totals.connected) / std::max(ramped.seconds, 1e-3))},
        {"held_at_end", end.held()},
        {"dropped", end.dropped}}},
      {"messages", plan.messages},
      {"all_received", complete_at >= 0},
      {"delivery", bench::tally_json(ledger.tally(0, plan.messages))},
      {"other_events", sink.other_events()},
      {"latency_us", bench::latency_json(latency)},
      {"latency_histogram", bench::histogram_json(latency)}};
  std::printf("%s\n", json::serialize(report).c_str());
  std::fflush(stdout);
  // Tens of thousands of sockets are closed by the kernel at exit; destructors add nothing.
  std::_Exit(0);
}

int run_publish(const std::string& redis_url, double rate, std::uint64_t messages) {
  bench::BridgePublisher publisher(redis_url);
  if (auto error = publisher.connect()) {
    std::fprintf(stderr, "cluster-probe: %s\n", error->c_str());
    return 1;
  }
  // BridgePublisher sends message i at i / rate while that is before the end: half a period
  // short of `messages` periods gives exactly `messages`, numbered 0 .. messages - 1.
  auto result = publisher.run(bench::BridgeMessageShape{}, rate,
                              std::chrono::duration<double>((messages - 0.5) / rate));
  std::printf("%s\n", json::serialize(json::object{{"published", result.published},
                                                   {"errors", result.errors},
                                                   {"late", result.late},
                                                   {"rate_msgs_per_s", rate}})
                          .c_str());
  return result.published == messages ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Cluster probe: dashboards that check exactly-once delivery, and a publisher"};
  app.require_subcommand(1);
  ClientsPlan plan;
  std::string jwt_secret = std::getenv("JWT_SECRET") ? std::getenv("JWT_SECRET") : "";
  auto* clients = app.add_subcommand("clients", "Hold dashboards on one gateway and count");
  clients->add_option("--host", plan.host, "Gateway address (IPv4 loopback)");
  clients->add_option("--port", plan.port, "Gateway port")->required();
  clients->add_option("--clients", plan.clients, "Connections (one process: up to ~19,900)");
  clients->add_option("--threads", plan.threads, "Client threads");
  clients->add_option("--source-octet", plan.source_octet, "Source addresses 127.<octet>.x.y")
      ->check(CLI::Range(1, 254));
  clients->add_option("--messages", plan.messages, "Messages every client must receive")
      ->check(CLI::Range(1, 100000));
  clients->add_option("--connect-rate", plan.connect_rate, "New connections per second");
  clients->add_option("--max-in-flight", plan.max_in_flight, "Handshakes under way at once");
  clients->add_option("--ramp-timeout", plan.ramp_timeout, "Give up the ramp after this many s");
  clients->add_option("--listen-timeout", plan.listen_timeout,
                      "After the ramp, wait at most this long for the messages");
  clients->add_option("--ready-file", plan.ready_file, "Written (held count) after the ramp");
  clients->add_option("--token", plan.token, "CONNECT auth token (default: from --jwt-secret)");
  clients->add_option("--jwt-secret", jwt_secret, "HS256 secret (env JWT_SECRET)");

  std::string redis_url = "redis://127.0.0.1:6379";
  double rate = 1;
  std::uint64_t messages = 10;
  auto* publish = app.add_subcommand("publish", "Publish numbered bridge messages");
  publish->add_option("--redis-url", redis_url, "Redis the gateways subscribe to");
  publish->add_option("--rate", rate, "Messages per second")->check(CLI::PositiveNumber);
  publish->add_option("--messages", messages, "How many")->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);

  if (publish->parsed()) return run_publish(redis_url, rate, messages);
  if (plan.token.empty() && !jwt_secret.empty()) {
    auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(6))
                   .count();
    plan.token = pulseboard::auth::mint_hs256(jwt_secret,
                                              json::object{{"sub", "cluster-probe"}, {"exp", exp}});
  }
  return run_clients(plan);
}
