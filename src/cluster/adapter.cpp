#include "cluster/adapter.hpp"

#include <spdlog/spdlog.h>

namespace pulseboard::cluster {
namespace {

// One limiter for every adapter of the process: a peer that floods refusals gets one line per
// 10 s, however it spreads them over namespaces and formats.
WarnLimiter& refusal_log() {
  static WarnLimiter limiter(1, std::chrono::seconds(10));
  return limiter;
}

}  // namespace

void refuse(AdapterMetrics& metrics, std::string_view adapter, Bound bound, std::string_view what,
            std::size_t bytes) {
  metrics.message_over_limit();
  auto left_out = refusal_log().admit();
  if (!left_out) return;
  std::string size = bytes ? fmt::format(" of {} bytes", bytes) : std::string();
  spdlog::warn("{}: dropped a {}{} past its bound on {} ({} similar lines left out)", adapter, what,
               size, to_string(bound), *left_out);
}

void warn_unencodable(std::string_view adapter, std::string_view what) {
  auto left_out = refusal_log().admit();
  if (!left_out) return;
  spdlog::warn("{}: a {} could not be encoded ({} similar lines left out)", adapter, what,
               *left_out);
}

}  // namespace pulseboard::cluster
