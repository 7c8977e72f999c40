#include "common/cpu_count.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace pulseboard {
namespace {

TEST(CpuCount, AQuotaIsRoundedUpToWholeCpus) {
  EXPECT_EQ(cpus_of_quota("200000 100000\n"), 2u);
  EXPECT_EQ(cpus_of_quota("150000 100000"), 2u);
  EXPECT_EQ(cpus_of_quota("50000 100000"), 1u);
}

TEST(CpuCount, NoQuotaOrUnreadableTextIsNoCap) {
  EXPECT_EQ(cpus_of_quota("max 100000\n"), 0u);
  EXPECT_EQ(cpus_of_quota(""), 0u);
  EXPECT_EQ(cpus_of_quota("-1 100000"), 0u);
  EXPECT_EQ(cpus_of_quota("100000 0"), 0u);
  EXPECT_EQ(cpus_of_quota("cpus"), 0u);
}

TEST(CpuCount, UsableCpusAreAtLeastOneAndAtMostTheHosts) {
  const unsigned n = usable_cpus();
  EXPECT_GE(n, 1u);
  if (std::thread::hardware_concurrency() > 0) {
    EXPECT_LE(n, std::thread::hardware_concurrency());
  }
}

}  // namespace
}  // namespace pulseboard
