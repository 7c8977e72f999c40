#include "load_plan.hpp"

#include <cstdlib>
#include <sstream>

namespace pulseboard::bench {

namespace {

std::optional<Phase> parse_mix_phase(const std::string& text) {
  std::istringstream in(text.substr(4));
  std::string rate, seconds;
  if (!std::getline(in, rate, ':') || !std::getline(in, seconds)) return std::nullopt;
  Phase phase;
  phase.mix = true;
  char* end = nullptr;
  phase.rate = std::strtod(rate.c_str(), &end);
  if (*end || phase.rate <= 0) return std::nullopt;
  phase.seconds = std::strtod(seconds.c_str(), &end);
  if (*end || phase.seconds <= 0) return std::nullopt;
  phase.name = "mix " + rate + "/s";
  return phase;
}

}  // namespace

std::optional<Phase> parse_phase(const std::string& text) {
  if (text.rfind("mix:", 0) == 0) return parse_mix_phase(text);
  std::istringstream in(text);
  std::string rate, bytes, seconds;
  if (!std::getline(in, rate, ':') || !std::getline(in, bytes, ':') || !std::getline(in, seconds))
    return std::nullopt;
  Phase phase;
  char* end = nullptr;
  if (rate == "sat") {
    phase.saturate = true;
  } else {
    phase.rate = std::strtod(rate.c_str(), &end);
    if (*end || phase.rate <= 0) return std::nullopt;
  }
  auto size = std::strtoul(bytes.c_str(), &end, 10);
  if (*end || size == 0 || size > (1u << 20)) return std::nullopt;
  phase.payload_bytes = size;
  phase.seconds = std::strtod(seconds.c_str(), &end);
  if (*end || phase.seconds <= 0) return std::nullopt;
  phase.name = rate + (phase.saturate ? "" : "/s") + " " + bytes + "B";
  return phase;
}

}  // namespace pulseboard::bench
