#pragma once
// Redis Cluster key-slot routing, written here because hiredis 0.14 has no cluster support and
// Debian 12 ships no hiredis-cluster (`apt-cache search hiredis` lists only libhiredis0.14,
// libhiredis-dev, python3-hiredis, ruby-hiredis and rsyslog-hiredis).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/reply.hpp"

namespace pulseboard::redis {

inline constexpr std::uint16_t kClusterSlots = 16384;

// CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys and channels with.
std::uint16_t crc16(std::string_view data);
// Slot of a key or sharded channel, honouring hash tags: only the part inside the first
// non-empty `{...}` is hashed.
std::uint16_t key_slot(std::string_view key);

struct NodeAddress {
  std::string host;
  int port = 0;
  bool operator==(const NodeAddress&) const = default;
  std::string key() const { return host + ":" + std::to_string(port); }
};

// Which master serves each slot, from a CLUSTER SLOTS reply.
class SlotMap {
 public:
  // nullopt unless the reply is well-formed and covers all 16384 slots. A master announced
  // with an empty host is reached at `seed_host` (what Redis means by it).
  static std::optional<SlotMap> parse(const Reply& cluster_slots, std::string_view seed_host);

  const NodeAddress& node_for_slot(std::uint16_t slot) const { return nodes_[owner_[slot]]; }
  const NodeAddress& node_for(std::string_view channel) const {
    return node_for_slot(key_slot(channel));
  }
  const std::vector<NodeAddress>& nodes() const { return nodes_; }

 private:
  std::vector<NodeAddress> nodes_;
  std::array<std::uint16_t, kClusterSlots> owner_{};  // index into nodes_
};

// "MOVED 3999 127.0.0.1:6381" or "ASK ..." → the node named in the redirection.
std::optional<NodeAddress> parse_redirect(std::string_view error_message);

}  // namespace pulseboard::redis
