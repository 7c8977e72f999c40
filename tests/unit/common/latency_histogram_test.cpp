// The latency histogram renders what Prometheus expects: cumulative buckets, +Inf equal to
// _count, and the sum of what was observed.
#include <gtest/gtest.h>

#include "common/latency_histogram.hpp"

namespace pulseboard {
namespace {

TEST(LatencyHistogram, BucketsAreCumulativeAndCountMatchesInf) {
  LatencyHistogram h;
  h.observe(0.003);  // <= 5 ms
  h.observe(0.2);    // <= 250 ms
  h.observe(120);    // past 60 s
  h.observe(-1);     // clock skew: counted as 0
  std::string out;
  h.render(out, "x_seconds", "help");
  EXPECT_NE(out.find("# TYPE x_seconds histogram\n"), std::string::npos);
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.005\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.1\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.25\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"60\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_count 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_sum 120.203000\n"), std::string::npos) << out;
  EXPECT_EQ(h.count(), 4u);
}

}  // namespace
}  // namespace pulseboard
