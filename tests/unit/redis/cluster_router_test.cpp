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
#include "run_until.hpp"

namespace pulseboard::redis {
namespace {

std::optional<Endpoint> cluster_endpoint() {
  const char* url = std::getenv("PULSEBOARD_REDIS_CLUSTER_URL");
  if (!url || !*url) return std::nullopt;
  return parse_url(url);
}

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

// Runs one command on `c` and returns its reply.
Reply run(boost::asio::io_context& io, Connection& c, std::vector<std::string> args) {
  std::optional<Reply> r;
  c.command(std::move(args), [&r](const Reply& reply) { r = reply; });
  if (!pulseboard::testing::run_until(io, [&] { return r.has_value(); }))
    return Reply::make_error(ErrorKind::connection, "no reply");
  return *r;
}

// Gives `slot` to the master at `to` (it was `from`'s and holds no key), telling every master,
// as redis-cli --cluster reshard does for an empty slot.
void move_slot(boost::asio::io_context& io, std::uint16_t slot, Connection& from, Connection& to,
               const std::vector<std::shared_ptr<Connection>>& all) {
  auto id = [&](Connection& c) { return *run(io, c, {"CLUSTER", "MYID"}).string(); };
  const std::string from_id = id(from), to_id = id(to), s = std::to_string(slot);
  ASSERT_FALSE(run(io, to, {"CLUSTER", "SETSLOT", s, "IMPORTING", from_id}).is_error());
  ASSERT_FALSE(run(io, from, {"CLUSTER", "SETSLOT", s, "MIGRATING", to_id}).is_error());
  for (auto& c : all)
    ASSERT_FALSE(run(io, *c, {"CLUSTER", "SETSLOT", s, "NODE", to_id}).is_error());
}

TEST(ClusterRouter, FollowsASlotThatMovedToAnotherMaster) {
  auto ep = cluster_endpoint();
  if (!ep) GTEST_SKIP() << "PULSEBOARD_REDIS_CLUSTER_URL is not set";
  boost::asio::io_context io;
  auto seed = Connection::create(io.get_executor(), *ep, "slots");
  seed->start();
  auto map = SlotMap::parse(run(io, *seed, {"CLUSTER", "SLOTS"}), ep->host);
  ASSERT_TRUE(map);
  ASSERT_GE(map->nodes().size(), 2u);
  std::vector<std::shared_ptr<Connection>> masters;
  for (const auto& n : map->nodes()) {
    Endpoint e = *ep;
    e.host = n.host;
    e.port = n.port;
    masters.push_back(Connection::create(io.get_executor(), e, "master " + n.key()));
    masters.back()->start();
  }
  auto index_of = [&](const NodeAddress& a) {
    for (std::size_t i = 0; i < map->nodes().size(); ++i)
      if (map->nodes()[i] == a) return i;
    return std::size_t{0};
  };
  const std::string key = "router-moved-test:{" + std::to_string(::getpid()) + "}";
  const std::uint16_t slot = key_slot(key);
  const std::size_t from = index_of(map->node_for_slot(slot)), to = (from + 1) % masters.size();
  run(io, *masters[from], {"DEL", key});

  // The router learns the map, then the slot moves behind its back.
  auto router = ClusterRouter::create(io.get_executor(), *ep, "router-test");
  router->start();
  std::optional<Reply> first;
  router->command(key, {"GET", key}, [&first](const Reply& r) { first = r; });
  ASSERT_TRUE(pulseboard::testing::run_until(io, [&] { return first.has_value(); }));
  ASSERT_TRUE(first->is_nil());
  move_slot(io, slot, *masters[from], *masters[to], masters);

  std::optional<Reply> set, get;
  router->command(key, {"SET", key, "moved", "PX", "60000"}, [&set](const Reply& r) { set = r; });
  router->command(key, {"GET", key}, [&get](const Reply& r) { get = r; });
  ASSERT_TRUE(pulseboard::testing::run_until(io, [&] { return get.has_value(); }));
  EXPECT_FALSE(set->is_error()) << set->error()->message;
  ASSERT_TRUE(get->string());
  EXPECT_EQ(*get->string(), "moved");
  // The value is on the master the slot moved to.
  auto there = run(io, *masters[to], {"GET", key});
  ASSERT_TRUE(there.string());
  EXPECT_EQ(*there.string(), "moved");

  // Put the slot back, empty, for the other tests on this cluster.
  run(io, *masters[to], {"DEL", key});
  move_slot(io, slot, *masters[to], *masters[from], masters);
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
  auto map = SlotMap::parse(run(io, *seed, {"CLUSTER", "SLOTS"}), ep->host);
  ASSERT_TRUE(map);
  ASSERT_GE(map->nodes().size(), 2u);
  std::vector<std::shared_ptr<Connection>> masters;
  for (const auto& n : map->nodes()) {
    Endpoint e = *ep;
    e.host = n.host;
    e.port = n.port;
    masters.push_back(Connection::create(io.get_executor(), e, "master " + n.key()));
    masters.back()->start();
  }
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

  move_slot(io, slot, *masters[from], *masters[to], masters);
  EXPECT_EQ(router->owner(channel), map->nodes()[from]);  // not learnt until asked
  router->refresh();
  ASSERT_TRUE(pulseboard::testing::run_until(io, [&] { return maps == 2; }));
  EXPECT_EQ(router->owner(channel), map->nodes()[to]);

  move_slot(io, slot, *masters[to], *masters[from], masters);
  router->stop();
  for (auto& m : masters) m->stop();
  seed->stop();
  pulseboard::testing::run_until(
      io, [] { return false; }, std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace pulseboard::redis
