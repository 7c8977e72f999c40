#pragma once
// Asking the CPU for memory ahead of reading it. A broadcast walks thousands of recipients whose
// objects do not fit in the cache; each such class declares what its hot path reads first, and
// the walk prefetches that span a few recipients ahead.
#include <cstddef>

namespace pulseboard {

inline constexpr std::size_t kCacheLine = 64;

// Prefetches every cache line from `first` up to `last` (exclusive).
inline void prefetch_lines(const void* first, const void* last) {
  const char* end = static_cast<const char*>(last);
  for (const char* line = static_cast<const char*>(first); line < end; line += kCacheLine)
    __builtin_prefetch(line);
}

}  // namespace pulseboard
