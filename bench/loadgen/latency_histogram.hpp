#pragma once
// Latency histogram with logarithmic buckets (about 3% relative precision, 1 µs to ~12 days),
// in the spirit of HdrHistogram. Hand-written because Debian ships no HdrHistogram for C++ and
// the load generator needs only record/merge/percentile.
//
// One thread records (relaxed load + store, no read-modify-write), any thread may read a
// snapshot: progress lines read it while the clients keep recording.
#include <array>
#include <atomic>
#include <cstdint>

namespace pulseboard::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 5;  // 32 linear sub-buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = kSub + (40 - kSubBits) * kSub;

  struct Snapshot {
    std::array<std::uint64_t, kBuckets> counts{};
    std::uint64_t total() const;
    // Value in µs at or below which `fraction` of the samples lie (bucket midpoint); 0 if empty.
    double percentile(double fraction) const;
    double max() const;  // upper edge of the highest non-empty bucket
    Snapshot& operator+=(const Snapshot& other);
    Snapshot operator-(const Snapshot& earlier) const;
  };

  // Single writer only.
  void record(std::uint64_t micros) {
    auto& slot = counts_[bucket_of(micros)];
    slot.store(slot.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void add_to(Snapshot& into) const;

  static int bucket_of(std::uint64_t micros);
  static double lower_edge(int bucket);
  static double upper_edge(int bucket);

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
};

}  // namespace pulseboard::bench
