#include "redis/cluster_slots.hpp"

#include <gtest/gtest.h>

namespace pulseboard::redis {
namespace {

Reply node(std::string host, int port) {
  return Reply{Array{Reply{std::move(host)}, Reply{std::int64_t{port}}, Reply{std::string("id")}}};
}

Reply range(int first, int last, Reply master) {
  return Reply{Array{Reply{std::int64_t{first}}, Reply{std::int64_t{last}}, std::move(master)}};
}

TEST(ClusterSlots, Crc16MatchesTheRedisClusterSpec) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);  // the check value given in the cluster spec
}

TEST(ClusterSlots, KeySlotsAsRedisComputesThem) {
  // Values from CLUSTER KEYSLOT on Redis 7.0.
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot("socket.io#/#"), key_slot("socket.io#/#"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("foo{}{bar}"), crc16("foo{}{bar}") % 16384);  // empty tag: whole key
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
}

TEST(ClusterSlots, ParsesClusterSlotsReply) {
  Reply reply{Array{range(0, 5460, node("10.0.0.1", 7000)), range(5461, 10922, node("", 7001)),
                    range(10923, 16383, node("10.0.0.3", 7002))}};
  auto map = SlotMap::parse(reply, "seed.example");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->node_for_slot(0), (NodeAddress{"10.0.0.1", 7000}));
  EXPECT_EQ(map->node_for_slot(5461), (NodeAddress{"seed.example", 7001}));
  EXPECT_EQ(map->node_for("foo"), (NodeAddress{"10.0.0.3", 7002}));  // slot 12182
  EXPECT_EQ(map->nodes().size(), 3u);
}

TEST(ClusterSlots, RejectsPartialCoverageAndGarbage) {
  Reply partial{Array{range(0, 5460, node("a", 1))}};
  EXPECT_FALSE(SlotMap::parse(partial, "seed"));
  EXPECT_FALSE(SlotMap::parse(Reply{std::string("OK")}, "seed"));
  EXPECT_FALSE(SlotMap::parse(Reply{Array{range(0, 16384, node("a", 1))}}, "seed"));
}

TEST(ClusterSlots, ParsesRedirects) {
  EXPECT_EQ(parse_redirect("MOVED 3999 127.0.0.1:6381"), (NodeAddress{"127.0.0.1", 6381}));
  EXPECT_EQ(parse_redirect("ASK 3999 ::1:6381"), (NodeAddress{"::1", 6381}));
  EXPECT_FALSE(parse_redirect("ERR unknown command"));
  EXPECT_FALSE(parse_redirect("MOVED 3999 nohostport"));
}

}  // namespace
}  // namespace pulseboard::redis
