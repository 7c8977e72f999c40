#pragma once
// Every dashboard is one open socket: a fleet of thousands needs the hard open-file limit.
#include <sys/resource.h>

namespace pulseboard::bench {

// Raises the soft RLIMIT_NOFILE to the hard one and returns the limit now in force (0 when it
// cannot be read). One process may hold at most 20,000 open files here; the soft limit is
// often lower.
inline rlim_t raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

}  // namespace pulseboard::bench
