#pragma once
// Reads the few fields the probes need from an event frame by scanning for the key, as the load
// generator's frame_timestamp.hpp does: the clients share two cores with the servers they
// measure, and a scan costs far less than a JSON DOM. Only for frames whose shape we control
// (Pulseboard's metrics-update, the bench publisher's bridge data).
#include <cstdint>
#include <optional>
#include <string_view>

namespace pulseboard::bench {

// The unsigned integer right after the first occurrence of `key` (which includes the colon,
// and the opening quote and any fixed prefix for string values), e.g. `"seq":`.
inline std::optional<std::uint64_t> number_after(std::string_view frame, std::string_view key) {
  auto at = frame.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::uint64_t value = 0;
  std::size_t i = at + key.size(), first = i;
  for (; i < frame.size() && frame[i] >= '0' && frame[i] <= '9' && i - first < 20; ++i)
    value = value * 10 + static_cast<std::uint64_t>(frame[i] - '0');
  if (i == first) return std::nullopt;
  return value;
}

// True when the frame is a Socket.IO EVENT `42["<event>",...` on the main namespace.
inline bool is_event(std::string_view frame, std::string_view event) {
  return frame.size() > event.size() + 5 && frame.substr(0, 4) == "42[\"" &&
         frame.substr(4, event.size()) == event && frame[4 + event.size()] == '"';
}

}  // namespace pulseboard::bench
