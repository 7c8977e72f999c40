#pragma once
// JSON pieces every bench report shares (same field names in the load generator's, the
// database probe's and the cluster probe's reports).
#include <boost/json.hpp>
#include <cmath>

#include "latency_histogram.hpp"

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

}  // namespace pulseboard::bench
