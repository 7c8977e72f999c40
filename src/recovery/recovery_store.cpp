#include "recovery/recovery_store.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "sio/packet.hpp"

namespace pulseboard::recovery {
namespace json = boost::json;

std::string history_entry(const std::string& room, const std::string& packet) {
  std::string out = std::to_string(room.size());
  out += ':';
  out += room;
  out += packet;
  return out;
}

bool parse_history_entry(const std::string& entry, std::string& room, std::string& packet) {
  const auto colon = entry.find(':');
  if (colon == std::string::npos) return false;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(entry.data(), entry.data() + colon, n);
  if (ec != std::errc() || end != entry.data() + colon || n > entry.size() - colon - 1)
    return false;
  room.assign(entry, colon + 1, n);
  packet.assign(entry, colon + 1 + n);
  return true;
}

std::string session_json(const RecoverableSession& s) {
  json::array rooms;
  for (const auto& r : s.rooms) rooms.emplace_back(r);
  return json::serialize(json::object{{"pid", s.pid},
                                      {"sid", s.sid},
                                      {"nsp", s.nsp},
                                      {"sub", s.subject},
                                      {"rooms", std::move(rooms)}});
}

std::optional<RecoverableSession> parse_session_json(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (!o) return std::nullopt;
  auto str = [&](const char* key) -> const json::string* {
    const json::value* f = o->if_contains(key);
    return f && f->is_string() ? &f->as_string() : nullptr;
  };
  const json::value* rooms = o->if_contains("rooms");
  if (!str("pid") || !str("sid") || !str("nsp") || !str("sub") || !rooms || !rooms->is_array())
    return std::nullopt;
  RecoverableSession s{std::string(*str("pid")),
                       std::string(*str("sid")),
                       std::string(*str("nsp")),
                       std::string(*str("sub")),
                       {}};
  for (const auto& r : rooms->as_array())
    if (r.is_string()) s.rooms.emplace_back(r.as_string());
  return s;
}

namespace {
// What the store hands back goes to a client as it is, and the store (Redis) is shared with
// other parties: only a Socket.IO EVENT of the session's namespace, without an ack id, whose
// last argument is its offset is sent. Anything else is skipped.
bool is_recorded_event(const std::string& packet, const std::string& nsp,
                       const std::string& offset) {
  if (packet.size() > RecoveryStore::kMaxPacketBytes) return false;
  sio::Decoder decoder(0);
  if (decoder.add_text(packet) != sio::Decoder::Status::packet) return false;
  sio::Packet p = decoder.take();
  if (p.type != sio::PacketType::event || p.nsp != nsp || p.id || !p.data) return false;
  const json::array* args = p.data->if_array();
  return args && args->size() >= 2 && args->back().is_string() &&
         args->back().as_string() == offset;
}
}  // namespace

std::optional<std::vector<MissedPacket>> missed_for(
    const RecoverableSession& s, const std::vector<std::pair<std::string, std::string>>& entries) {
  std::vector<MissedPacket> out;
  std::string room, packet;
  for (const auto& [offset, entry] : entries) {
    if (!parse_history_entry(entry, room, packet)) continue;
    if (std::find(s.rooms.begin(), s.rooms.end(), room) == s.rooms.end()) continue;
    if (!is_recorded_event(packet, s.nsp, offset)) continue;
    if (out.size() == RecoveryStore::kMaxMissed) return std::nullopt;
    out.push_back({offset, std::move(packet)});
  }
  return out;
}

}  // namespace pulseboard::recovery
