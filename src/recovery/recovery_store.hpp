#pragma once
// Connection state recovery (docs/protocol-reference.md, Connection state recovery): what a gateway
// keeps so that a client that lost its connection gets its socket back (the same sid, its rooms,
// and every packet it missed) on this gateway or on another one. The client holds a private session
// id (`pid`, sent in the CONNECT reply) and the offset of the last event it received (the event's
// last argument); on reconnect it sends both in the CONNECT auth.
//
// What is recorded: bridge messages that carry an `eventId` (the worker's metrics-update: the
// database change position), with that id as the offset, in one history per namespace, in the
// order the store first saw them. Every gateway records every bridge message; recording is
// idempotent per offset, so a cluster keeps one history and a replay keeps its first place.
//
// Three implementations: in process (recovery_store_memory.*: one gateway, the demo), Redis
// (recovery_store_redis.*: shared by every gateway of a cluster) and the streams adapter's own
// layout (recovery_store_streams.*: shared with Node servers on that adapter).
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "recovery/recovery_attempts.hpp"

namespace pulseboard::recovery {

struct RecoverableSession {
  std::string pid, sid, nsp, subject;
  std::vector<std::string> rooms;  // besides the socket's own id room
};

struct MissedPacket {
  std::string offset;
  std::string packet;  // Socket.IO packet text, the offset as its last argument
};

struct Recovered {
  RecoverableSession session;
  std::vector<MissedPacket> packets;  // oldest first
};

// What a lookup gives: the socket back, or nothing. `beyond_bound` says the client is further
// behind than the bounds (kMaxMissed entries, kMaxMissedBytes) and nothing was read.
struct Lookup {
  std::optional<Recovered> recovered;
  bool beyond_bound = false;
  static Lookup none() { return {}; }
  static Lookup too_far_behind() { return {std::nullopt, true}; }
  static Lookup of(std::optional<Recovered> r) { return {std::move(r), false}; }
};

class RecoveryStore {
 public:
  // Past this many entries recorded after its offset (in its namespace's history, whatever
  // their room), or this many bytes of them, a client is not recovered: it starts afresh from
  // the retained snapshot, which is smaller than what it missed. Every store finds how far
  // behind the offset is before it reads an entry, and reads at most this much: a client with
  // an old offset costs a lookup, not a walk of the history.
  static constexpr std::size_t kMaxMissed = 1000;
  static constexpr std::size_t kMaxMissedBytes = 2 * 1024 * 1024;
  // A client's pid and offset longer than these are not looked up (a fresh socket instead);
  // a stored packet longer than kMaxPacketBytes is not sent.
  static constexpr std::size_t kMaxPidBytes = 64;
  static constexpr std::size_t kMaxOffsetBytes = 256;
  static constexpr std::size_t kMaxPacketBytes = 1'000'000;

  using Done = std::function<void(Lookup)>;
  virtual ~RecoveryStore() = default;

  // Lookups are rate limited per subject (the token's `sub`; the client's address without
  // tokens) before they reach the store: false when `who` is over its rate (the client gets a
  // fresh socket). Thread-safe.
  bool admit_attempt(const std::string& who) { return attempts_.take(who); }

  // `packet` (its last argument is `offset`) was sent to `room` of `nsp`.
  virtual void record(const std::string& nsp, const std::string& room, const std::string& offset,
                      const std::string& packet) = 0;
  // Keeps `session` recoverable for `ttl` (replacing what was kept for its pid).
  virtual void save(const RecoverableSession& session, std::chrono::milliseconds ttl) = 0;
  // The client left on purpose: its session is not recoverable.
  virtual void forget(const std::string& nsp, const std::string& pid) = 0;
  // Takes session `pid` of `nsp` (it can be recovered once) and the packets recorded after
  // `offset` for its rooms. Nothing when the session is unknown or expired, the offset is no
  // longer in the history, it is beyond the bounds (kMaxMissed, kMaxMissedBytes), or the store
  // failed. `done` runs exactly once, on any thread.
  virtual void recover(const std::string& nsp, const std::string& pid, const std::string& offset,
                       Done done) = 0;

 private:
  RecoveryAttempts attempts_;
};

// "<room length>:<room><packet>": how both stores keep a history entry (room names may hold
// any byte).
std::string history_entry(const std::string& room, const std::string& packet);
// Splits a history entry; false when it is not one.
bool parse_history_entry(const std::string& entry, std::string& room, std::string& packet);
// The session as JSON text and back (nullopt when the text is not one).
std::string session_json(const RecoverableSession& s);
std::optional<RecoverableSession> parse_session_json(const std::string& text);
// Of the history entries (offset, history_entry) recorded after the client's offset, the
// packets for the session's rooms; nullopt past kMaxMissed (the stores read no more than that).
std::optional<std::vector<MissedPacket>> missed_for(
    const RecoverableSession& s, const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace pulseboard::recovery
