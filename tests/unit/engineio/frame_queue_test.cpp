#include "engineio/frame_queue.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace pulseboard::eio
