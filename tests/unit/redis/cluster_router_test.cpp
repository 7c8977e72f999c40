// Commands routed by key on a real 3-master Redis Cluster (PULSEBOARD_REDIS_CLUSTER_URL,
// scripts/lib/redis.sh: redis_cluster_start): every key reaches the master that holds it, a
// slot moved to another master after the router learnt the map is followed (MOVED), and the
// owner the router reports follows the slot once it is asked to refresh, announcing the map.
#include "redis/cluster_router.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "redis/cluster_slots.hpp"
#include "redis_cluster.hpp"
#include "run_until.hpp"

namespace pulseboard::redis {
namespace {

using pulseboard::testing::cluster_endpoint;
using pulseboard::testing::connect_masters;
using pulseboard::testing::move_slot;
using pulseboard::testing::run_command;

TEST(ClusterRouter, EveryKeyReachesTheMasterThatHoldsIt) {
  auto ep = cluster_endpoint();
  if (!ep) GTEST_SKIP() << "PULSEBOARD_REDIS_CLUSTER_URL is not set";
  boost::asio::io_context io;
  auto router = ClusterRouter::create(io.get_executor(), *ep, "router-test");
  router->start();
  constexpr int kKeys = 60;
  std::vector<std::optional<Reply>> sets(kKeys), gets(kKeys);
  std::set<std::uint16_t> slots;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = "router-test:" + std::to_string(i);
    slots.insert(key_slot(key));
    router->command(key, {"SET", key, std::to_string(i * 7), "PX", "60000"},
                    [&sets, i](const Reply& r) { sets[i] = r; });
    router->command(key, {"GET", key}, [&gets, i](const Reply& r) { gets[i] = r; });
  }
  ASSERT_TRUE(pulseboard::testing::run_until(io, [&] {
    for (const auto& g : gets)
      if (!g) return false;
    return true;
  }));
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(sets[i]->string()) << "SET " << i << " failed";
    ASSERT_TRUE(gets[i]->string()) << "GET " << i;
    EXPECT_EQ(*gets[i]->string(), std::to_string(i * 7));
  }
  EXPECT_GT(slots.size(), 50u);  // spread over the cluster, not one node
  router->stop();
  pulseboard::testing::run_until(
      io, [] { return false; }, std::chrono::milliseconds(50));
}

TEST(ClusterRouter, FollowsASlotThatMovedToAnotherMaster) {
  auto ep = cluster_endpoint();
  if (!ep) GTEST_SKIP() << "PULSEBOARD_REDIS_CLUSTER_URL is not set";
  boost::asio::io_context io;
  auto seed = Connection::create(io.get_executor(), *ep, "slots");
  seed->start();
  auto map = SlotMap::parse(run_command(io, *seed, {"CLUSTER", "SLOTS"}), ep->host);
  ASSERT_TRUE(map);
  ASSERT_GE(map->nodes().size(), 2u);
  auto masters = connect_masters(io, *ep, *map);
  auto index_of = [&](const NodeAddress& a) {
    for (std::size_t i = 0; i < map->nodes().size(); ++i)
      if (map->nodes()[i] == a) return i;
    return std::size_t{0};
  };
  const std::string key = "router-moved-test:{" + std::to_string(::getpid()) + "}";
  const std::uint16_t slot = key_slot(key);
  const std::size_t from = index_of(map->node_for_slot(slot)), to = (from + 1) % masters.size();
  run_command(io, *masters[from], {"DEL", key});

  // The router learns the map, then the slot moves behind its back.
  auto router = ClusterRouter::create(io.get_executor(), *ep, "router-test");
  router->start();
  std::optional<Reply> first;
  router->command(key, {"GET", key}, [&first](const Reply& r) { first = r; });
  ASSERT_TRUE(pulseboard::testing::run_until(io, [&] { return first.has_value(); }));
  ASSERT_TRUE(first->is_nil());
  ASSERT_TRUE(move_slot(io, slot, *masters[from], *masters[to], masters));

  std::optional<Reply> set, get;
  router->command(key, {"SET", key, "moved", "PX", "60000"}, [&set](const Reply& r) { set = r; });
  router->command(key, {"GET", key}, [&get](const Reply& r) { get = r; });
  ASSERT_TRUE(pulseboard::testing::run_until(io, [&] { return get.has_value(); }));
  EXPECT_FALSE(set->is_error()) << set->error()->message;
  ASSERT_TRUE(get->string());
  EXPECT_EQ(*get->string(), "moved");
  // The value is on the master the slot moved to.
  auto there = run_command(io, *masters[to], {"GET", key});
  ASSERT_TRUE(there.string());
  EXPECT_EQ(*there.string(), "moved");

  // Put the slot back, empty, for the other tests on this cluster.
  run_command(io, *masters[to], {"DEL", key});
  ASSERT_TRUE(move_slot(io, slot, *masters[to], *masters[from], masters));
  router->stop();
  for (auto& m : masters) m->stop();
  seed->stop();
  pulseboard::testing::run_until(
      io, [] { return false; }, std::chrono::milliseconds(50));
}

// What the sharded broker relies on: owner() names the master of a key's slot, and after the
// slot moved, refresh() learns the new map, announces it, and owner() names the new master.
TEST(ClusterRouter, ReportsTheOwnerOfASlotAndFollowsItAfterARefresh) {
  auto ep = cluster_endpoint();
  if (!ep) GTEST_SKIP() << "PULSEBOARD_REDIS_CLUSTER_URL is not set";
  boost::asio::io_context io;
  auto seed = Connection::create(io.get_executor(), *ep, "slots");
  seed->start();
  auto map = SlotMap::parse(run_command(io, *seed, {"CLUSTER", "SLOTS"}), ep->host);
  ASSERT_TRUE(map);
  ASSERT_GE(map->nodes().size(), 2u);
  auto masters = connect_masters(io, *ep, *map);
  const std::string channel = "router-owner-test:{" + std::to_string(::getpid()) + "}";
  const std::uint16_t slot = key_slot(channel);
  std::size_t from = 0;
  while (!(map->nodes()[from] == map->node_for_slot(slot))) ++from;
  const std::size_t to = (from + 1) % masters.size();

  auto router = ClusterRouter::create(io.get_executor(), *ep, "router-test");
  EXPECT_FALSE(router->owner(channel));  // nothing known before the first map
  int maps = 0;
  router->on_slots([&maps] { ++maps; });
  router->start();
  ASSERT_TRUE(pulseboard::testing::run_until(io, [&] { return maps == 1; }));
  ASSERT_TRUE(router->has_slots());
  for (std::uint16_t s = 0; s < kClusterSlots; s += 997) {
    std::string key = "k" + std::to_string(s);
    ASSERT_EQ(router->owner(key), map->node_for(key)) << key;
  }
  EXPECT_EQ(router->owner(channel), map->nodes()[from]);

  ASSERT_TRUE(move_slot(io, slot, *masters[from], *masters[to], masters));
  EXPECT_EQ(router->owner(channel), map->nodes()[from]);  // not learnt until asked
  router->refresh();
  ASSERT_TRUE(pulseboard::testing::run_until(io, [&] { return maps == 2; }));
  EXPECT_EQ(router->owner(channel), map->nodes()[to]);

  ASSERT_TRUE(move_slot(io, slot, *masters[to], *masters[from], masters));
  router->stop();
  for (auto& m : masters) m->stop();
  seed->stop();
  pulseboard::testing::run_until(
      io, [] { return false; }, std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace pulseboard::redis
