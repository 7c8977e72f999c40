#include "cluster/limits.hpp"

#include <boost/json/serializer.hpp>

#include <limits>

namespace pulseboard::cluster {

std::string_view to_string(Bound bound) {
  switch (bound) {
    case Bound::none:
      return "none";
    case Bound::message_bytes:
      return "message size";
    case Bound::depth:
      return "nesting depth";
    case Bound::values:
      return "number of values";
    case Bound::attachments:
      return "number of binary attachments";
    case Bound::rooms:
      return "number of rooms";
    case Bound::room_bytes:
      return "room name length";
    case Bound::id_bytes:
      return "uid, requestId, nsp or sid length";
    case Bound::encoded_bytes:
      return "encoded size";
    case Bound::fanout_bytes:
      return "fan-out to local sockets";
    case Bound::memory:
      return "memory (std::bad_alloc)";
  }
  return "unknown";
}

std::size_t ack_cost_per_socket(const boost::json::value& data,
                                const std::vector<std::string>& attachments) {
  boost::json::serializer serializer;
  serializer.reset(&data);
  char buffer[4096];
  std::size_t bytes = 64;
  while (!serializer.done()) bytes += serializer.read(buffer, sizeof buffer).size();
  for (const auto& a : attachments) bytes += a.size();
  return bytes;
}

std::size_t join_cost_per_socket(std::size_t rooms, std::size_t room_name_bytes) {
  return room_name_bytes + 64 * rooms;
}

bool fanout_within(std::size_t sockets, std::size_t per_socket, const Limits& limits) {
  if (sockets == 0 || per_socket == 0) return true;
  return per_socket <= limits.max_fanout_bytes / sockets;
}

std::optional<std::uint64_t> WarnLimiter::admit(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (!started_ || now - window_start_ >= window_) {
    started_ = true;
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= per_window_) {
    if (left_out_ < std::numeric_limits<std::uint64_t>::max()) ++left_out_;
    return std::nullopt;
  }
  ++in_window_;
  auto left_out = left_out_;
  left_out_ = 0;
  return left_out;
}

}  // namespace pulseboard::cluster
