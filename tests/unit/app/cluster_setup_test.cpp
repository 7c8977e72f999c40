// connect_cluster on a real 3-master Redis Cluster (PULSEBOARD_REDIS_CLUSTER_URL, from
// scripts/lib/redis.sh redis_cluster_start; skipped without it): in one gateway process the
// broker and the recovery store share one Redis Cluster router, so the slot map is asked for
// once, not once per user. The gateway's loop is driven by the test (the server is not started).
#include "app/cluster_setup.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <sstream>

#include "redis/connection.hpp"
#include "redis/endpoint.hpp"

namespace pulseboard::app {
namespace {

using namespace std::chrono_literals;

// Drives `io` until `done` holds or a generous deadline (a busy machine) passes.
template <class Pred>
bool run_until(boost::asio::io_context& io, Pred done, std::chrono::seconds deadline = 60s) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    io.restart();
    io.run_for(5ms);
  }
  return true;
}

std::optional<redis::Reply> ask(boost::asio::io_context& io, const redis::Endpoint& at,
                                std::vector<std::string> args) {
  auto connection = redis::Connection::create(io.get_executor(), at, "probe");
  connection->start();
  std::optional<redis::Reply> reply;
  connection->command(std::move(args), [&reply](const redis::Reply& r) { reply = r; });
  run_until(io, [&] { return reply.has_value(); });
  connection->stop();
  return reply;
}

// The masters, from CLUSTER NODES (which is not the command being counted).
std::vector<redis::Endpoint> masters(boost::asio::io_context& io, const redis::Endpoint& seed) {
  std::vector<redis::Endpoint> out;
  auto nodes = ask(io, seed, {"CLUSTER", "NODES"});
  if (!nodes || !nodes->string()) return out;
  std::istringstream lines(*nodes->string());
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, address, flags;
    fields >> id >> address >> flags;
    if (flags.find("master") == std::string::npos) continue;
    redis::Endpoint ep = seed;
    auto colon = address.rfind(':', address.find('@'));
    ep.host = address.substr(0, colon);
    ep.port = std::stoi(address.substr(colon + 1));
    out.push_back(ep);
  }
  return out;
}

// CLUSTER SLOTS calls the masters have answered since they started.
std::uint64_t cluster_slots_calls(boost::asio::io_context& io,
                                  const std::vector<redis::Endpoint>& nodes) {
  std::uint64_t total = 0;
  for (const auto& node : nodes) {
    auto info = ask(io, node, {"INFO", "commandstats"});
    if (!info || !info->string()) continue;
    const std::string& text = *info->string();
    constexpr std::string_view kStat = "cmdstat_cluster|slots:calls=";
    if (auto at = text.find(kStat); at != std::string::npos)
      total += std::stoull(text.substr(at + kStat.size()));
  }
  return total;
}

TEST(ClusterSetup, TheBrokerAndTheRecoveryStoreOfAGatewayLearnTheSlotMapOnce) {
  const char* url = std::getenv("PULSEBOARD_REDIS_CLUSTER_URL");
  if (!url || !*url) GTEST_SKIP() << "PULSEBOARD_REDIS_CLUSTER_URL is not set";
  gateway::GatewayConfig config;
  config.threads = 1;
  gateway::Gateway server(config, nullptr);
  ASSERT_TRUE(server.recovery()) << "recovery is on by default";
  auto& io = server.loops().front()->ioc;
  auto nodes = masters(io, *redis::parse_url(url));
  ASSERT_EQ(nodes.size(), 3u);
  const std::uint64_t before = cluster_slots_calls(io, nodes);

  ClusterSettings settings;
  settings.mode = broker::RedisBroker::Mode::sharded;
  settings.adapter = AdapterKind::sharded;
  auto cluster = connect_cluster(server, url, settings);
  // The broker holds its subscriptions, and the recovery store answered a lookup.
  ASSERT_TRUE(run_until(io, [&] { return cluster->broker->ready(); }));
  std::optional<recovery::Lookup> lookup;
  server.recovery()->recover("/", "no-such-pid", "0-1",
                             [&lookup](recovery::Lookup l) { lookup = std::move(l); });
  ASSERT_TRUE(run_until(io, [&] { return lookup.has_value(); }));
  EXPECT_FALSE(lookup->recovered);

  EXPECT_EQ(cluster_slots_calls(io, nodes) - before, 1u)
      << "one CLUSTER SLOTS for the broker and the recovery store together";
  cluster.reset();
}

}  // namespace
}  // namespace pulseboard::app
