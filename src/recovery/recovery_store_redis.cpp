#include "recovery/recovery_store_redis.hpp"

#include <spdlog/spdlog.h>

namespace pulseboard::recovery {

namespace {

// KEYS: order, packets. ARGV: offset, entry, max entries, ttl ms. Idempotent per offset; the
// sequence is the store's own, so the history's order is the order records reached Redis (each
// gateway records the bridge messages in the order it received them) whatever the clocks say.
constexpr const char* kRecordScript = R"lua(
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local seq = 1
if last[2] then seq = tonumber(last[2]) + 1 end
redis.call('ZADD', KEYS[1], seq, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if over > 0 then
  local old = redis.call('ZRANGE', KEYS[1], 0, over - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
  for i = 1, #old do redis.call('HDEL', KEYS[2], old[i]) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
)lua";

// KEYS: session, order, packets. ARGV: offset, max entries, max bytes. Takes the session (once)
// and returns {session, 'found', offset, entry, offset, entry...} for the entries after `offset`,
// {session} when the offset is not in the history, {session, 'far'} when more entries or bytes
// than the bounds follow it, nil when there is no session. The offset's rank says how many
// follow (O(log n)) before any is read; their sizes are summed before they are fetched.
constexpr const char* kRecoverScript = R"lua(
local s = redis.call('GET', KEYS[1])
if not s then return nil end
redis.call('DEL', KEYS[1])
local rank = redis.call('ZRANK', KEYS[2], ARGV[1])
if not rank then return {s} end
local last = redis.call('ZCARD', KEYS[2]) - 1
if last - rank > tonumber(ARGV[2]) then return {s, 'far'} end
if last == rank then return {s, 'found'} end
local ids = redis.call('ZRANGE', KEYS[2], rank + 1, last)
local bytes, max = 0, tonumber(ARGV[3])
for i = 1, #ids do
  bytes = bytes + redis.call('HSTRLEN', KEYS[3], ids[i])
  if bytes > max then return {s, 'far'} end
end
local entries = redis.call('HMGET', KEYS[3], unpack(ids))
local out = {s, 'found'}
for i = 1, #ids do
  if entries[i] then out[#out + 1] = ids[i]; out[#out + 1] = entries[i] end
end
return out
)lua";

std::string history_key(const std::string& nsp, const char* what) {
  return "pulseboard:recovery:{" + nsp + "}:" + what;
}

std::string session_key(const std::string& nsp, const std::string& pid) {
  return history_key(nsp, "session:") + pid;
}

}  // namespace

RedisRecoveryStore::Commands RedisRecoveryStore::on(std::shared_ptr<redis::Connection> connection) {
  return [connection](const std::string&, std::vector<std::string> args,
                      redis::Connection::Callback cb) {
    connection->command(std::move(args), std::move(cb));
  };
}

RedisRecoveryStore::RedisRecoveryStore(Commands commands, std::size_t max_history,
                                       std::chrono::milliseconds history_ttl)
    : commands_(std::move(commands)), max_history_(max_history), history_ttl_(history_ttl) {}

void RedisRecoveryStore::record(const std::string& nsp, const std::string& room,
                                const std::string& offset, const std::string& packet) {
  auto order = history_key(nsp, "order");
  commands_(order,
            {"EVAL", kRecordScript, "2", order, history_key(nsp, "packets"), offset,
             history_entry(room, packet), std::to_string(max_history_),
             std::to_string(history_ttl_.count())},
            [](const redis::Reply& r) {
              if (auto* e = r.error())
                spdlog::debug("recovery: recording a packet failed: {}", e->message);
            });
}

void RedisRecoveryStore::save(const RecoverableSession& session, std::chrono::milliseconds ttl) {
  auto key = session_key(session.nsp, session.pid);
  commands_(key, {"SET", key, session_json(session), "PX", std::to_string(ttl.count())}, {});
}

void RedisRecoveryStore::forget(const std::string& nsp, const std::string& pid) {
  auto key = session_key(nsp, pid);
  commands_(key, {"DEL", key}, {});
}

namespace {
// The recovery script's answer (kRecoverScript) for a client of `nsp`.
Lookup lookup_of(const std::string& nsp, const redis::Reply& r) {
  if (r.is_error()) spdlog::warn("recovery: reading a session failed: {}", r.error()->message);
  const redis::Array* a = r.array();
  if (!a || a->size() < 2 || !(*a)[0].string() || !(*a)[1].string()) return Lookup::none();
  if (*(*a)[1].string() == "far") return Lookup::too_far_behind();
  auto session = parse_session_json(*(*a)[0].string());
  if (!session || session->nsp != nsp || *(*a)[1].string() != "found") return Lookup::none();
  std::vector<std::pair<std::string, std::string>> entries;
  entries.reserve((a->size() - 2) / 2);
  for (std::size_t i = 2; i + 1 < a->size(); i += 2)
    if (auto* o = (*a)[i].string(), *e = (*a)[i + 1].string(); o && e) entries.emplace_back(*o, *e);
  auto missed = missed_for(*session, entries);
  if (!missed) return Lookup::none();
  return Lookup::of(Recovered{std::move(*session), std::move(*missed)});
}
}  // namespace

void RedisRecoveryStore::recover(const std::string& nsp, const std::string& pid,
                                 const std::string& offset, Done done) {
  auto key = session_key(nsp, pid);
  commands_(
      key,
      {"EVAL", kRecoverScript, "3", key, history_key(nsp, "order"), history_key(nsp, "packets"),
       offset, std::to_string(kMaxMissed), std::to_string(kMaxMissedBytes)},
      [nsp, done = std::move(done)](const redis::Reply& r) { done(lookup_of(nsp, r)); });
}

}  // namespace pulseboard::recovery
