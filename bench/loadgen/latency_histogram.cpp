#include "latency_histogram.hpp"

#include <bit>

namespace pulseboard::bench {

int LatencyHistogram::bucket_of(std::uint64_t micros) {
  if (micros < kSub) return static_cast<int>(micros);
  int magnitude = std::bit_width(micros) - 1;  // >= kSubBits
  int shift = magnitude - kSubBits;
  int sub = static_cast<int>(micros >> shift) - kSub;
  int bucket = kSub + shift * kSub + sub;
  return bucket < kBuckets ? bucket : kBuckets - 1;
}

double LatencyHistogram::lower_edge(int bucket) {
  if (bucket < kSub) return bucket;
  int shift = (bucket - kSub) / kSub;
  int sub = (bucket - kSub) % kSub;
  return static_cast<double>((static_cast<std::uint64_t>(kSub + sub)) << shift);
}

double LatencyHistogram::upper_edge(int bucket) {
  if (bucket < kSub) return bucket + 1;
  int shift = (bucket - kSub) / kSub;
  return lower_edge(bucket) + static_cast<double>(std::uint64_t{1} << shift);
}

void LatencyHistogram::add_to(Snapshot& into) const {
  for (int i = 0; i < kBuckets; ++i) into.counts[i] += counts_[i].load(std::memory_order_relaxed);
}

std::uint64_t LatencyHistogram::Snapshot::total() const {
  std::uint64_t sum = 0;
  for (auto c : counts) sum += c;
  return sum;
}

double LatencyHistogram::Snapshot::percentile(double fraction) const {
  std::uint64_t all = total();
  if (all == 0) return 0;
  auto rank = static_cast<std::uint64_t>(fraction * static_cast<double>(all));
  if (rank >= all) rank = all - 1;
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts[i];
    if (seen > rank) return (lower_edge(i) + upper_edge(i)) / 2;
  }
  return upper_edge(kBuckets - 1);
}

double LatencyHistogram::Snapshot::max() const {
  for (int i = kBuckets - 1; i >= 0; --i)
    if (counts[i] != 0) return upper_edge(i);
  return 0;
}

LatencyHistogram::Snapshot& LatencyHistogram::Snapshot::operator+=(const Snapshot& other) {
  for (int i = 0; i < kBuckets; ++i) counts[i] += other.counts[i];
  return *this;
}

LatencyHistogram::Snapshot LatencyHistogram::Snapshot::operator-(const Snapshot& earlier) const {
  Snapshot d;
  for (int i = 0; i < kBuckets; ++i) d.counts[i] = counts[i] - earlier.counts[i];
  return d;
}

}  // namespace pulseboard::bench
