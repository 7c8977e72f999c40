#include "common/latency_histogram.hpp"

#include <algorithm>
#include <cstdio>

namespace pulseboard {

void LatencyHistogram::observe(double seconds) {
  if (!(seconds > 0)) seconds = 0;  // also NaN
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  // Bounded so that one absurd sample (a skewed clock) cannot wrap the sum.
  const double us = std::min(seconds, 1e6) * 1e6;
  sum_us_.fetch_add(static_cast<std::uint64_t>(us), std::memory_order_relaxed);
}

void LatencyHistogram::render(std::string& out, std::string_view name,
                              std::string_view help) const {
  const std::string n(name);
  out += "# HELP " + n + " " + std::string(help) + "\n# TYPE " + n + " histogram\n";
  std::uint64_t cumulative = 0;
  char le[32];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::snprintf(le, sizeof le, "%g", kBuckets[i]);
    out += n + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += buckets_.back().load(std::memory_order_relaxed);
  out += n + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  std::snprintf(le, sizeof le, "%.6f",
                static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  out += n + "_sum " + le + "\n";
  out += n + "_count " + std::to_string(cumulative) + "\n";
}

}  // namespace pulseboard
