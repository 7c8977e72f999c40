#pragma once
// JSON pieces of the probes' reports; those shared with the load generator's (same field
// names) are in report_json.hpp.
#include <boost/json.hpp>

#include "../loadgen/latency_histogram.hpp"
#include "../loadgen/report_json.hpp"
#include "delivery_ledger.hpp"

namespace pulseboard::bench {

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
