#include "engineio/frame_queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace pulseboard::eio {
namespace {

Frame numbered(int n) {
  return text_frame("42[\"n\"," + std::to_string(n) + "]");
}
int number_of(const Frame& f) {
  const std::string& s = *f.data;
  return std::stoi(s.substr(s.find(',') + 1));
}

TEST(FrameQueue, IsFirstInFirstOut) {
  FrameQueue q;
  EXPECT_TRUE(q.empty());
  for (int i = 0; i < 5; ++i) q.push_back(numbered(i));
  EXPECT_EQ(q.size(), 5u);
  EXPECT_EQ(number_of(q[4]), 4);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(number_of(q.front()), i);
    q.pop_front();
  }
  EXPECT_TRUE(q.empty());
}

TEST(FrameQueue, GivesABurstsMemoryBackOnceEmpty) {
  FrameQueue q;
  for (int i = 0; i < 1000; ++i) q.push_back(numbered(i));
  while (!q.empty()) q.pop_front();
  EXPECT_LE(q.capacity(), 8u);  // idle connections are most connections
}

TEST(FrameQueue, PushFrontGoesAheadOfEverything) {
  FrameQueue q;
  q.push_back(numbered(1));
  q.push_front(numbered(0));  // no free slot before the head: inserted
  q.pop_front();
  q.push_back(numbered(2));
  q.push_front(numbered(9));  // reuses the slot the pop freed
  EXPECT_EQ(number_of(q[0]), 9);
  EXPECT_EQ(number_of(q[1]), 1);
  EXPECT_EQ(number_of(q[2]), 2);
  EXPECT_EQ(q.size(), 3u);
}

TEST(FrameQueue, ReleasesABroadcastBufferWhenItsFrameLeaves) {
  FrameQueue q;
  Frame shared = numbered(7);
  q.push_back(shared);
  q.push_back(numbered(8));
  EXPECT_EQ(shared.data.use_count(), 2);
  q.pop_front();
  EXPECT_EQ(shared.data.use_count(), 1);  // not held until the queue empties
}

TEST(FrameQueue, AQueueThatNeverDrainsKeepsItsOrderAndDoesNotGrowWithoutBound) {
  // A slow reader: always a backlog of 10, thousands of frames through.
  FrameQueue q;
  int next_in = 0, next_out = 0;
  for (int i = 0; i < 10; ++i) q.push_back(numbered(next_in++));
  for (int round = 0; round < 5000; ++round) {
    ASSERT_EQ(number_of(q.front()), next_out++);
    q.pop_front();
    q.push_back(numbered(next_in++));
    ASSERT_EQ(q.size(), 10u);
  }
  // Compaction keeps the storage near the backlog, not near the 5,000 frames that went by.
  EXPECT_LT(q.capacity(), 256u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(number_of(q[static_cast<std::size_t>(i)]), next_out + i);
  }
}

Frame keyed(int n, std::uint32_t key) {
  Frame f = numbered(n);
  f.conflation_key = key;
  return f;
}

TEST(FrameQueue, AKeyedFrameReplacesTheQueuedOneInItsPlace) {
  FrameQueue q;
  q.push_back(keyed(1, 7));
  q.push_back(numbered(2));
  const auto replaced = q.replace(keyed(3, 7));
  ASSERT_TRUE(replaced.has_value());
  EXPECT_EQ(*replaced, numbered(1).data->size());
  ASSERT_EQ(q.size(), 2u);  // the queue did not grow
  EXPECT_EQ(number_of(q[0]), 3);
  EXPECT_EQ(number_of(q[1]), 2);
}

TEST(FrameQueue, ReplacesOnlyTheSameKey) {
  FrameQueue q;
  q.push_back(keyed(1, 7));
  EXPECT_FALSE(q.replace(keyed(2, 8)).has_value());
  EXPECT_FALSE(q.replace(numbered(3)).has_value());  // no key: never conflated
  q.push_back(keyed(2, 8));
  ASSERT_TRUE(q.replace(keyed(4, 8)).has_value());
  EXPECT_EQ(number_of(q[0]), 1);
  EXPECT_EQ(number_of(q[1]), 4);
}

TEST(FrameQueue, NeverReplacesAFrameAlreadyTakenForWriting) {
  FrameQueue q;
  q.push_back(keyed(1, 7));
  q.push_back(numbered(2));
  q.pop_front();  // the transport took it (maybe only part of it reached the socket)
  EXPECT_FALSE(q.replace(keyed(3, 7)).has_value());
  q.push_back(keyed(3, 7));
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(number_of(q[0]), 2);
  EXPECT_EQ(number_of(q[1]), 3);
  ASSERT_TRUE(q.replace(keyed(5, 7)).has_value());
  EXPECT_EQ(number_of(q[1]), 5);
}

TEST(FrameQueue, KeysFollowFramesAcrossPushFrontAndCompaction) {
  FrameQueue q;
  for (int i = 0; i < 100; ++i) q.push_back(numbered(i));
  q.push_back(keyed(1000, 7));
  q.push_front(numbered(-1));
  for (int i = 0; i < 90; ++i) q.pop_front();  // compacts the vector on the way
  ASSERT_TRUE(q.replace(keyed(1001, 7)).has_value());
  EXPECT_EQ(number_of(q[q.size() - 1]), 1001);
  EXPECT_EQ(q.size(), 12u);
}

TEST(FrameQueue, StaysBoundedUnderAStreamOfOneKey) {
  FrameQueue q;
  q.push_back(keyed(0, 7));
  for (int i = 1; i < 10000; ++i)
    if (!q.replace(keyed(i, 7))) q.push_back(keyed(i, 7));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(number_of(q.front()), 9999);
  EXPECT_EQ(q.keys_tracked(), 1u);
}

TEST(FrameQueue, ForgetsKeysOfWrittenFrames) {
  FrameQueue q;
  q.push_back(numbered(0));  // never empty: the keys are not simply dropped with the queue
  for (std::uint32_t round = 0; round < 50; ++round) {
    q.push_back(keyed(static_cast<int>(round), round + 1));  // a new key each round
    q.pop_front();
    q.push_back(numbered(0));
    q.pop_front();  // the keyed frame was written
    EXPECT_LE(q.keys_tracked(), 1u);
  }
  q.clear();
  EXPECT_FALSE(q.replace(keyed(1, 50)).has_value());
}

}  // namespace
}  // namespace pulseboard::eio
