#include "common/backoff.hpp"

#include <gtest/gtest.h>

namespace pulseboard {
namespace {

using std::chrono::milliseconds;

// The Redis reconnect pacing: 100 ms doubling to 5 s, jittered within the upper half.
milliseconds reconnect_delay(unsigned attempt, double unit) {
  return jittered(exponential_delay(attempt, milliseconds(100), milliseconds(5000)), unit);
}

TEST(ReconnectDelay, DoublesFromFloorToCapWithJitterBelowTheStep) {
  EXPECT_EQ(reconnect_delay(0, 1.0).count(), 100);
  EXPECT_EQ(reconnect_delay(0, 0.0).count(), 50);
  EXPECT_EQ(reconnect_delay(1, 1.0).count(), 200);
  EXPECT_EQ(reconnect_delay(5, 1.0).count(), 3200);
  EXPECT_EQ(reconnect_delay(6, 1.0).count(), 5000);
  EXPECT_EQ(reconnect_delay(1000, 1.0).count(), 5000);
  EXPECT_EQ(reconnect_delay(1000, 0.0).count(), 2500);
}

TEST(Backoff, DoublesToTheCapAndStartsOverAfterReset) {
  Backoff b(milliseconds(100), milliseconds(450));
  EXPECT_EQ(b.next().count(), 100);
  EXPECT_EQ(b.next().count(), 200);
  EXPECT_EQ(b.next().count(), 400);
  EXPECT_EQ(b.next().count(), 450);
  EXPECT_EQ(b.next().count(), 450);
  b.reset();
  EXPECT_EQ(b.next().count(), 100);
}

}  // namespace
}  // namespace pulseboard
