#pragma once
// CPU time and resident memory of a process, from /proc, so the load generator can charge the
// server's cost to the frames it delivered.
#include <sys/types.h>
#include <optional>

namespace pulseboard::bench {

struct ProcessSample {
  double user_seconds = 0;    // utime from /proc/<pid>/stat
  double system_seconds = 0;  // stime
  long rss_kb = 0;            // VmRSS from /proc/<pid>/status
};

// nullopt when the process is gone or unreadable.
std::optional<ProcessSample> sample_process(pid_t pid);
// This process, through getrusage (finer than clock ticks).
ProcessSample sample_self();

}  // namespace pulseboard::bench
