#pragma once
// The publisher embeds `"t":<unix time>` in every event's data; clients read it back to measure
// end-to-end latency. A scan for the key beats a JSON DOM by two orders of magnitude, and the
// load generator shares the CPU with the server it measures.
#include <cstdint>
#include <ctime>
#include <optional>
#include <string_view>

namespace pulseboard::bench {

// Unix time in ns (CLOCK_REALTIME): the clock every stamp and receipt time in the bench uses,
// so that times taken in different processes compare.
inline std::uint64_t unix_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// The first `"t":<digits>` in `frame`, in nanoseconds. Values below 1e17 are taken as
// microseconds (a publisher in another language may send µs).
inline std::optional<std::uint64_t> frame_timestamp_ns(std::string_view frame) {
  auto at = frame.find("\"t\":");
  if (at == std::string_view::npos) return std::nullopt;
  std::uint64_t value = 0;
  std::size_t i = at + 4;
  std::size_t first_digit = i;
  for (; i < frame.size() && frame[i] >= '0' && frame[i] <= '9' && i - first_digit < 20; ++i)
    value = value * 10 + static_cast<std::uint64_t>(frame[i] - '0');
  if (i == first_digit) return std::nullopt;
  return value < 100'000'000'000'000'000ull ? value * 1000 : value;
}

}  // namespace pulseboard::bench
