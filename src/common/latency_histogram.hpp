#pragma once
// A Prometheus histogram of latencies in seconds with fixed buckets (docs/operations.md):
// 5 ms, 10 ms, 25 ms, 50 ms, 100 ms, 250 ms, 500 ms, 1 s, 2.5 s, 5 s, 10 s, 30 s, 60 s and +Inf.
// Lock-free: observe() from any thread, render() for /metrics.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace pulseboard {

class LatencyHistogram {
 public:
  static constexpr std::array<double, 13> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1,  0.25, 0.5,
                                                   1.0,   2.5,  5.0,   10.0, 30.0, 60.0};
  // A negative latency (the clocks of two hosts disagree) is counted as 0.
  void observe(double seconds);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // `# HELP`, `# TYPE name histogram`, the cumulative `_bucket{le=..}` lines, `_sum`, `_count`.
  void render(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets_{};  // last: +Inf only
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_us_{0};
};

}  // namespace pulseboard
