// The members of a room as a broadcast walks them: in address order, and unchanged for a walk
// that holds its list while sockets join and leave.
#include "socketio/room_members.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <random>

namespace pulseboard::socketio {
namespace {

// Stand-ins for sockets: only their addresses are used, never what they point at.
std::array<char, 200> slots;
Socket* at(std::size_t i) {
  return reinterpret_cast<Socket*>(&slots[i]);
}

RoomMembers shuffled_room(std::size_t n) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937{7});
  RoomMembers room;
  for (std::size_t i : order) EXPECT_TRUE(room.insert(at(i)));
  return room;
}

TEST(RoomMembers, WalksEveryMemberOnceInAddressOrder) {
  RoomMembers room = shuffled_room(150);
  EXPECT_FALSE(room.insert(at(3)));  // already a member
  auto list = room.ordered();
  ASSERT_EQ(list->size(), 150u);
  for (std::size_t i = 0; i < 150; ++i) EXPECT_EQ((*list)[i], at(i));
}

TEST(RoomMembers, AHeldListIsUnchangedByJoinsAndLeaves) {
  RoomMembers room = shuffled_room(100);
  auto held = room.ordered();
  room.erase(at(10));
  room.insert(at(150));
  EXPECT_EQ(held->size(), 100u);
  EXPECT_EQ((*held)[10], at(10));

  auto now = room.ordered();
  EXPECT_EQ(now->size(), 100u);
  EXPECT_FALSE(std::binary_search(now->begin(), now->end(), at(10), std::less<Socket*>{}));
  EXPECT_EQ(now->back(), at(150));
  EXPECT_TRUE(std::is_sorted(now->begin(), now->end(), std::less<Socket*>{}));
}

TEST(RoomMembers, ALargeRoomKeepsItsListUntilItChanges) {
  RoomMembers room = shuffled_room(RoomMembers::kKeepOrderedFrom);
  auto first = room.ordered();
  EXPECT_EQ(room.ordered(), first);  // the same list, not sorted again
  room.erase(at(0));
  EXPECT_NE(room.ordered(), first);
}

TEST(RoomMembers, ASmallRoomIsSortedPerWalkAndNotKept) {
  RoomMembers room = shuffled_room(RoomMembers::kKeepOrderedFrom - 1);
  auto first = room.ordered();
  auto second = room.ordered();
  EXPECT_NE(first, second);
  EXPECT_EQ(*first, *second);
}

TEST(RoomMembers, LeavingTwiceOrLeavingWhatWasNeverJoinedChangesNothing) {
  RoomMembers room = shuffled_room(70);
  auto held = room.ordered();
  room.erase(at(199));
  EXPECT_EQ(room.ordered(), held);
  room.erase(at(5));
  room.erase(at(5));
  EXPECT_EQ(room.size(), 69u);
  EXPECT_FALSE(room.contains(at(5)));
}

}  // namespace
}  // namespace pulseboard::socketio
