#include "gateway/admission.hpp"

#include <gtest/gtest.h>

namespace pulseboard::gateway {
namespace {

using namespace std::chrono_literals;
using Verdict = Admission::Verdict;
const auto t0 = Admission::Clock::time_point{} + 1h;

TEST(Admission, CapsSessionsPerAddressAndGivesPlacesBack) {
  Admission a({.max_sessions = 100, .max_sessions_per_address = 2, .handshakes_per_second = 0});
  EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::admitted);
  EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::admitted);
  EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::address_session_limit);
  EXPECT_EQ(a.admit("10.0.0.2", t0), Verdict::admitted);  // others unaffected
  a.release("10.0.0.1");
  EXPECT_EQ(a.sessions_of("10.0.0.1"), 1u);
  EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::admitted);
  EXPECT_EQ(a.sessions(), 3u);
}

TEST(Admission, CapsTheWholeGateway) {
  Admission a({.max_sessions = 3, .max_sessions_per_address = 0, .handshakes_per_second = 0});
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(a.admit("10.0.0." + std::to_string(i), t0), Verdict::admitted);
  EXPECT_EQ(a.admit("10.0.0.9", t0), Verdict::session_limit);
  a.release("10.0.0.0");
  EXPECT_EQ(a.admit("10.0.0.9", t0), Verdict::admitted);
}

TEST(Admission, LimitsTheHandshakeRatePerAddress) {
  Admission a({.max_sessions = 0,
               .max_sessions_per_address = 0,
               .handshakes_per_second = 10,
               .handshake_burst = 5});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::admitted);
  EXPECT_EQ(a.admit("10.0.0.1", t0), Verdict::handshake_rate);
  EXPECT_EQ(a.admit("10.0.0.2", t0), Verdict::admitted);
  EXPECT_EQ(a.admit("10.0.0.1", t0 + 100ms), Verdict::admitted);
}

TEST(Admission, ForgetsIdleAddressesSoTheMapStaysBounded) {
  Admission a({.max_sessions = 0,
               .max_sessions_per_address = 0,
               .handshakes_per_second = 10,
               .handshake_burst = 1});
  for (std::size_t i = 0; i < 3 * Admission::kSweepAbove; ++i) {
    std::string addr = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                       "." + std::to_string(i % 256);
    ASSERT_EQ(a.admit(addr, t0 + std::chrono::seconds(i)), Verdict::admitted);
    a.release(addr);
  }
  EXPECT_LE(a.tracked_addresses(), Admission::kSweepAbove + 1);
}

}  // namespace
}  // namespace pulseboard::gateway
