#include "common/prometheus.hpp"

namespace pulseboard {

void append_prometheus_metric(std::string& out, std::string_view name, std::string_view help,
                              std::string_view type, std::string_view value) {
  for (std::string_view part :
       {std::string_view("# HELP "), name, std::string_view(" "), help,
        std::string_view("\n# TYPE "), name, std::string_view(" "), type, std::string_view("\n"),
        name, std::string_view(" "), value, std::string_view("\n")})
    out += part;
}

}  // namespace pulseboard
