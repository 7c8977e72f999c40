#include "recovery/recovery_store_streams.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>

#include "cluster/stream_entries.hpp"
#include "sio/packet.hpp"

namespace pulseboard::recovery {

namespace json = boost::json;
namespace streams = cluster::streams;

namespace {

// KEYS: session, stream. ARGV: offset, the first id after it, max entries, max bytes.
// Takes the session (once, as the Node adapter's GET+DEL) and returns {session} when the offset
// is no longer in the stream (trimmed), {session, 'far'} when more entries or bytes than the
// bounds follow it, {session, entries after it} otherwise; nil without a session. At most one
// entry past the bound is read: the stream has no rank, so that is how "more remain" is known.
constexpr const char* kRecoverScript = R"lua(
local s = redis.call('GET', KEYS[1])
if not s then return false end
redis.call('DEL', KEYS[1])
if #redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1]) == 0 then return {s} end
local max = tonumber(ARGV[3])
local entries = redis.call('XRANGE', KEYS[2], ARGV[2], '+', 'COUNT', max + 1)
if #entries > max then return {s, 'far'} end
local bytes, max_bytes = 0, tonumber(ARGV[4])
for i = 1, #entries do
  local fields = entries[i][2]
  for j = 1, #fields do bytes = bytes + #fields[j] end
  if bytes > max_bytes then return {s, 'far'} end
end
return {s, entries}
)lua";

// The EVENT of a stream broadcast as a recovered client gets it: [event, ...args, offset].
// nullopt when it is no event or carries binary (a missed packet is sent as one text frame).
std::optional<std::string> missed_packet(const std::string& nsp, cluster::sharded::Message& m,
                                         const std::string& offset) {
  if (!m.attachments.empty()) return std::nullopt;
  auto& packet = m.packet->as_object();
  const json::value* type = packet.if_contains("type");
  json::value* data = packet.if_contains("data");
  if (!type || !(*type == 2) || !data || !data->is_array()) return std::nullopt;
  json::array& args = data->as_array();
  if (args.empty() || !args.front().is_string()) return std::nullopt;
  args.emplace_back(offset);
  sio::Packet p;
  p.nsp = nsp;
  p.data = std::move(*data);
  return sio::encode(p);
}

}  // namespace

std::optional<Recovered> recovered_from_stream(const std::string& nsp, const std::string& pid,
                                               const std::string& session_value,
                                               const std::vector<streams::Entry>& entries,
                                               const cluster::Limits& limits) {
  auto session = streams::decode_session(session_value, limits);
  if (!session || session->pid != pid) return std::nullopt;
  Recovered r;
  r.session.pid = session->pid;
  r.session.sid = session->sid;
  r.session.nsp = nsp;
  if (const json::object* data = session->data.if_object())
    if (const json::value* sub = data->if_contains("sub"); sub && sub->is_string())
      r.session.subject = sub->as_string();
  for (const auto& room : session->rooms)
    if (room != session->sid) r.session.rooms.push_back(room);
  std::sort(r.session.rooms.begin(), r.session.rooms.end());

  for (const auto& entry : entries) {
    auto decoded = streams::decode_entry(entry, limits);
    auto& m = decoded.message;
    if (!m || m->type != cluster::sharded::MessageType::broadcast || m->request_id ||
        m->nsp != nsp || !streams::includes_session(session->rooms, *m->opts))
      continue;
    auto packet = missed_packet(nsp, *m, entry.id);
    if (!packet) {
      spdlog::debug("recovery: entry {} for socket {} is no text event: a fresh socket", entry.id,
                    session->sid);
      return std::nullopt;
    }
    if (r.packets.size() == RecoveryStore::kMaxMissed) return std::nullopt;
    r.packets.push_back({entry.id, std::move(*packet)});
  }
  return r;
}

StreamsRecoveryStore::StreamsRecoveryStore(std::shared_ptr<redis::Connection> connection,
                                           Options options)
    : connection_(std::move(connection)), options_(std::move(options)) {}

void StreamsRecoveryStore::save(const RecoverableSession& s, std::chrono::milliseconds ttl) {
  streams::Session session{s.sid, s.pid, {s.sid}, json::object{}};
  session.rooms.insert(session.rooms.end(), s.rooms.begin(), s.rooms.end());
  if (!s.subject.empty()) session.data.as_object()["sub"] = s.subject;
  connection_->command({"SET", options_.session_prefix + s.pid, streams::encode_session(session),
                        "PX", std::to_string(ttl.count())},
                       {});
}

void StreamsRecoveryStore::forget(const std::string&, const std::string& pid) {
  connection_->command({"DEL", options_.session_prefix + pid}, {});
}

void StreamsRecoveryStore::recover(const std::string& nsp, const std::string& pid,
                                   const std::string& offset, Done done) {
  auto next = streams::next_entry_id(offset);
  if (!next) return done(Lookup::none());  // not an entry id: no stream position to resume from
  connection_->command(
      {"EVAL", kRecoverScript, "2", options_.session_prefix + pid,
       streams::stream_name(options_.stream, options_.stream_count, nsp), offset, *next,
       std::to_string(std::min(options_.max_scan, kMaxMissed)), std::to_string(kMaxMissedBytes)},
      [nsp, pid, limits = options_.limits, done = std::move(done)](const redis::Reply& reply) {
        if (reply.is_error())
          spdlog::warn("recovery: reading a session failed: {}", reply.error()->message);
        const redis::Array* a = reply.array();
        if (!a || a->size() != 2 || !(*a)[0].string()) return done(Lookup::none());
        if (const std::string* far = (*a)[1].string(); far && *far == "far")
          return done(Lookup::too_far_behind());
        done(Lookup::of(recovered_from_stream(nsp, pid, *(*a)[0].string(),
                                              cluster::range_entries((*a)[1]), limits)));
      });
}

}  // namespace pulseboard::recovery
