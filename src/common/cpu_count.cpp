#include "common/cpu_count.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace pulseboard {

unsigned cpus_of_quota(const char* cpu_max) {
  long long quota = 0, period = 0;
  if (std::sscanf(cpu_max, "%lld %lld", &quota, &period) != 2 || quota <= 0 || period <= 0)
    return 0;  // "max 100000": no quota
  return static_cast<unsigned>((quota + period - 1) / period);
}

namespace {

unsigned cgroup_quota_cpus() {
  std::FILE* f = std::fopen("/sys/fs/cgroup/cpu.max", "r");
  if (!f) return 0;
  char line[64] = {};
  const bool read = std::fgets(line, sizeof line, f) != nullptr;
  std::fclose(f);
  return read ? cpus_of_quota(line) : 0;
}

}  // namespace

unsigned usable_cpus() {
  unsigned n = std::thread::hardware_concurrency();
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) n = static_cast<unsigned>(CPU_COUNT(&set));
  if (const unsigned quota = cgroup_quota_cpus(); quota > 0) n = std::min(n, quota);
  return std::max(1u, n);
}

}  // namespace pulseboard
