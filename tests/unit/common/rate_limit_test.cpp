#include <gtest/gtest.h>

#include "common/log_limiter.hpp"
#include "common/token_bucket.hpp"

namespace pulseboard {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(TokenBucket, AllowsTheBurstThenTheRate) {
  const auto t0 = Clock::time_point{} + 1h;
  TokenBucket bucket(10, 3, t0);
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0));         // burst spent
  EXPECT_FALSE(bucket.take(t0 + 50ms));  // half a token back
  EXPECT_TRUE(bucket.take(t0 + 100ms));  // one token back
  EXPECT_FALSE(bucket.take(t0 + 100ms));
  EXPECT_FALSE(bucket.full(t0 + 200ms));
  EXPECT_TRUE(bucket.full(t0 + 10s));  // never more than the burst
  EXPECT_TRUE(bucket.take(t0 + 10s));
  EXPECT_TRUE(bucket.take(t0 + 10s));
  EXPECT_TRUE(bucket.take(t0 + 10s));
  EXPECT_FALSE(bucket.take(t0 + 10s));
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  TokenBucket bucket(0, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(bucket.take());
}

TEST(LogLimiter, PassesSomeLinesPerSecondAndCountsTheRest) {
  const auto t0 = Clock::time_point{} + 1h;
  LogLimiter limiter(2);
  EXPECT_EQ(limiter.admit(t0), 0u);
  EXPECT_EQ(limiter.admit(t0 + 1ms), 0u);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.admit(t0 + 2ms).has_value());
  // The next second's first line reports the five left out.
  EXPECT_EQ(limiter.admit(t0 + 1s), 5u);
  EXPECT_EQ(limiter.admit(t0 + 1s), 0u);
}

}  // namespace
}  // namespace pulseboard
