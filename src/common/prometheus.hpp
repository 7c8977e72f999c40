#pragma once
// The Prometheus text exposition format, one metric at a time: the `# HELP` and `# TYPE`
// lines and the sample. Every role's /metrics writes through this, so they all parse alike.
#include <string>
#include <string_view>

namespace pulseboard {

void append_prometheus_metric(std::string& out, std::string_view name, std::string_view help,
                              std::string_view type, std::string_view value);

}  // namespace pulseboard
