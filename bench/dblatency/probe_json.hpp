#pragma once
// JSON pieces the probes' reports share with the load generator's (same field names).
#include <boost/json.hpp>
#include <cmath>

#include "../loadgen/latency_histogram.hpp"
#include "delivery_ledger.hpp"

namespace pulseboard::bench {

inline double round3(double v) {
  return std::round(v * 1000) / 1000;
}

// {samples, p50, p90, p99, p999, max} in µs.
inline boost::json::object latency_json(const LatencyHistogram::Snapshot& h) {
  return {{"samples", h.total()},
          {"p50", round3(h.percentile(0.50))},
          {"p90", round3(h.percentile(0.90))},
          {"p99", round3(h.percentile(0.99))},
          {"p999", round3(h.percentile(0.999))},
          {"max", round3(h.max())}};
}

// The non-empty buckets as [lower µs, upper µs, count], so reports of several processes can be
// merged into one distribution.
inline boost::json::array histogram_json(const LatencyHistogram::Snapshot& h) {
  boost::json::array buckets;
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i)
    if (h.counts[i])
      buckets.push_back(boost::json::array{LatencyHistogram::lower_edge(i),
                                           LatencyHistogram::upper_edge(i), h.counts[i]});
  return buckets;
}

inline boost::json::object tally_json(const DeliveryTally& t) {
  return {{"clients", t.clients},
          {"events", t.events},
          {"expected", t.expected},
          {"delivered", t.delivered},
          {"missing", t.missing},
          {"duplicates", t.duplicates},
          {"clients_missing_any", t.clients_missing_any},
          {"clients_with_duplicates", t.clients_with_duplicates},
          {"delivery_ratio",
           t.expected ? static_cast<double>(t.delivered) / static_cast<double>(t.expected) : 0.0}};
}

}  // namespace pulseboard::bench
