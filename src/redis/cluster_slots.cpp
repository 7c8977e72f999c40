#include "redis/cluster_slots.hpp"

#include <charconv>

namespace pulseboard::redis {

namespace {

constexpr std::array<std::uint16_t, 256> make_crc_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    std::uint16_t crc = static_cast<std::uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    table[i] = crc;
  }
  return table;
}

constexpr auto kCrcTable = make_crc_table();

std::optional<int> to_int(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::uint16_t crc16(std::string_view data) {
  std::uint16_t crc = 0;
  for (unsigned char c : data)
    crc = static_cast<std::uint16_t>((crc << 8) ^ kCrcTable[((crc >> 8) ^ c) & 0xff]);
  return crc;
}

std::uint16_t key_slot(std::string_view key) {
  if (auto open = key.find('{'); open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  return crc16(key) % kClusterSlots;
}

std::optional<SlotMap> SlotMap::parse(const Reply& reply, std::string_view seed_host) {
  const Array* ranges = reply.array();
  if (!ranges) return std::nullopt;
  SlotMap map;
  std::vector<bool> covered(kClusterSlots, false);
  for (const Reply& range : *ranges) {
    const Array* r = range.array();
    if (!r || r->size() < 3) return std::nullopt;
    auto first = (*r)[0].integer(), last = (*r)[1].integer();
    const Array* master = (*r)[2].array();
    if (!first || !last || !master || master->size() < 2) return std::nullopt;
    if (*first < 0 || *last >= kClusterSlots || *first > *last) return std::nullopt;
    const std::string* host = (*master)[0].string();
    auto port = (*master)[1].integer();
    if (!host || !port || *port <= 0 || *port > 65535) return std::nullopt;
    NodeAddress node{host->empty() ? std::string(seed_host) : *host, static_cast<int>(*port)};
    std::size_t index = 0;
    while (index < map.nodes_.size() && !(map.nodes_[index] == node)) ++index;
    if (index == map.nodes_.size()) map.nodes_.push_back(node);
    for (auto slot = *first; slot <= *last; ++slot) {
      map.owner_[slot] = static_cast<std::uint16_t>(index);
      covered[slot] = true;
    }
  }
  for (bool c : covered)
    if (!c) return std::nullopt;
  return map;
}

std::optional<NodeAddress> parse_redirect(std::string_view message) {
  for (std::string_view prefix : {"MOVED ", "ASK "}) {
    if (message.substr(0, prefix.size()) != prefix) continue;
    auto rest = message.substr(prefix.size());
    auto space = rest.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    auto address = rest.substr(space + 1);
    auto colon = address.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    auto port = to_int(address.substr(colon + 1));
    if (!port || *port <= 0 || *port > 65535) return std::nullopt;
    return NodeAddress{std::string(address.substr(0, colon)), *port};
  }
  return std::nullopt;
}

}  // namespace pulseboard::redis
