// pulseboard_db_latency: database commit -> dashboard latency through the PostgreSQL worker and
// a gateway (docs/benchmarks.md, "Database commit to dashboard").
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>

#include "auth/jwt.hpp"
#include "db_latency_plan.hpp"

using pulseboard::bench::CommitPhase;
using pulseboard::bench::DbLatencyPlan;

namespace {

// "RATE:SECONDS", both positive numbers.
std::optional<CommitPhase> parse_commit_phase(const std::string& text, bool warmup) {
  auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  char* end = nullptr;
  CommitPhase p;
  std::string rate = text.substr(0, colon), seconds = text.substr(colon + 1);
  p.rate = std::strtod(rate.c_str(), &end);
  if (*end || p.rate <= 0 || p.rate > 100000) return std::nullopt;
  p.seconds = std::strtod(seconds.c_str(), &end);
  if (*end || p.seconds <= 0) return std::nullopt;
  p.warmup = warmup;
  p.name = (warmup ? "warm-up " : "") + rate + "/s";
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  DbLatencyPlan plan;
  std::vector<std::string> phase_specs, process_specs;
  std::string warmup_spec;
  std::string jwt_secret = std::getenv("JWT_SECRET") ? std::getenv("JWT_SECRET") : "";
  int source_octet = plan.source_octet;
  bool quiet = false;

  CLI::App app{
      "Database commit -> dashboard latency: commits completed orders into PostgreSQL "
      "and times their metrics-update at Socket.IO dashboards"};
  app.add_option("--database", plan.database_url, "postgresql://... the worker follows")
      ->required();
  app.add_flag("--schema-only", plan.schema_only, "Create the orders table, then exit");
  app.add_option("--host", plan.host, "Gateway address (IPv4 loopback)");
  app.add_option("--port", plan.port, "Gateway port");
  app.add_option("--clients", plan.clients, "Dashboards to connect");
  app.add_option("--threads", plan.threads, "Client threads, one io_context each");
  app.add_option("--source-octet", source_octet, "Source addresses are 127.<octet>.x.y")
      ->check(CLI::Range(1, 254));
  app.add_option("--warmup", warmup_spec, "RATE:SECONDS of commits before the measured phases");
  app.add_option("--phase", phase_specs, "RATE:SECONDS of commits, measured (repeatable)");
  app.add_option("--drain", plan.drain_seconds, "Wait at most this long for late events");
  app.add_option("--process", process_specs, "NAME=PID whose CPU is reported (repeatable)");
  app.add_option("--token", plan.token, "CONNECT auth token (default: minted from --jwt-secret)");
  app.add_option("--jwt-secret", jwt_secret, "HS256 secret to mint a token with (env JWT_SECRET)");
  app.add_flag("--quiet", quiet, "No progress lines on stderr");
  CLI11_PARSE(app, argc, argv);

  if (!warmup_spec.empty()) phase_specs.insert(phase_specs.begin(), warmup_spec);
  for (std::size_t i = 0; i < phase_specs.size(); ++i) {
    auto phase = parse_commit_phase(phase_specs[i], i == 0 && !warmup_spec.empty());
    if (!phase) {
      std::fprintf(stderr, "db-latency: bad phase '%s' (want RATE:SECONDS)\n",
                   phase_specs[i].c_str());
      return 2;
    }
    plan.phases.push_back(*phase);
  }
  if (plan.phases.size() > 250) return 2;  // phase numbers are stored in a byte
  for (const auto& spec : process_specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "db-latency: bad --process '%s' (want NAME=PID)\n", spec.c_str());
      return 2;
    }
    plan.processes.emplace_back(spec.substr(0, eq), std::atoi(spec.c_str() + eq + 1));
  }
  if (plan.token.empty() && !jwt_secret.empty()) {
    auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(6))
                   .count();
    plan.token = pulseboard::auth::mint_hs256(
        jwt_secret, boost::json::object{{"sub", "db-latency"}, {"exp", exp}});
  }
  plan.source_octet = static_cast<std::uint8_t>(source_octet);
  plan.progress = !quiet;
  return pulseboard::bench::run_db_latency(plan);
}
