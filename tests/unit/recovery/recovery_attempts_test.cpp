// How often a subject may ask for its socket back (recovery_attempts.hpp): its burst, its rate,
// and a table that stays bounded however many subjects ask.
#include "recovery/recovery_attempts.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pulseboard::recovery {
namespace {
using namespace std::chrono_literals;
using Clock = RecoveryAttempts::Clock;

TEST(RecoveryAttempts, ASubjectHasItsBurstThenItsRate) {
  RecoveryAttempts attempts(5, 20);
  const auto t0 = Clock::now();
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(attempts.take("sub alice", t0)) << i;
  EXPECT_FALSE(attempts.take("sub alice", t0));
  EXPECT_TRUE(attempts.take("sub bob", t0)) << "another subject has its own allowance";
  EXPECT_FALSE(attempts.take("sub alice", t0 + 100ms));
  EXPECT_TRUE(attempts.take("sub alice", t0 + 200ms)) << "one attempt per 200 ms";
  EXPECT_FALSE(attempts.take("sub alice", t0 + 200ms));
}

TEST(RecoveryAttempts, TheTableStaysBoundedAndForgetsIdleSubjects) {
  RecoveryAttempts attempts(5, 20, 3);
  const auto t0 = Clock::now();
  for (const char* who : {"a", "b", "c"}) EXPECT_TRUE(attempts.take(who, t0));
  EXPECT_FALSE(attempts.take("d", t0)) << "every tracked subject is still busy";
  EXPECT_EQ(attempts.tracked(), 3u);
  // After a second a used attempt is back (5/s): the three are as if never seen, and forgotten.
  EXPECT_TRUE(attempts.take("d", t0 + 1s));
  EXPECT_EQ(attempts.tracked(), 1u);
}

TEST(RecoveryAttempts, AStormOfMoreSubjectsThanTheTableHoldsIsAdmittedWhenItFitsTheirRate) {
  // A reconnect storm: every dashboard asks once, each a subject of its own. A table of 3 at 5/s
  // forgets a subject 200 ms after its attempt, so one arrival every 150 ms always finds room
  // (a table walked only once a second refused from the fifth on).
  RecoveryAttempts attempts(5, 20, 3);
  const auto t0 = Clock::now();
  for (int i = 0; i < 40; ++i) {
    EXPECT_TRUE(attempts.take("address 10.0.0." + std::to_string(i), t0 + i * 150ms)) << i;
    EXPECT_LE(attempts.tracked(), 3u);
  }
  // Faster than that, the bound holds: the table is not walked again before 200 ms have passed.
  const auto t1 = t0 + 10s;
  for (const char* who : {"x", "y", "z"}) EXPECT_TRUE(attempts.take(who, t1));
  EXPECT_FALSE(attempts.take("w", t1 + 100ms));
  EXPECT_TRUE(attempts.take("w", t1 + 200ms));
}

TEST(RecoveryAttempts, ALongSubjectIsTrackedUnderABoundedKey) {
  RecoveryAttempts attempts(5, 1);
  const std::string a(100'000, 'a');
  std::string b = a;
  b.back() = 'b';  // the same first bytes, another subject
  const auto t0 = Clock::now();
  EXPECT_TRUE(attempts.take(a, t0));
  EXPECT_FALSE(attempts.take(a, t0));
  EXPECT_TRUE(attempts.take(b, t0));
}

}  // namespace
}  // namespace pulseboard::recovery
