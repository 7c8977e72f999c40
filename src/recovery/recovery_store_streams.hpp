#pragma once
// Connection state recovery as `@socket.io/redis-streams-adapter` keeps it
// (docs/protocol-reference.md, Streams adapter), so a client recovers on a Pulseboard gateway or on
// a Node server of the same cluster, whichever it reached last and whichever it comes back to:
//   <session prefix><pid>   base64(msgpack({sid, pid, rooms, data})), PX its ttl; the
//                           subject of the token in `data.sub`, the socket's own id in `rooms`
//   the namespace's stream  the history: the broadcasts, each at its entry id (the offset)
// Nothing is recorded here: whoever broadcasts appends to the stream (the streams adapter, for
// the bridge). recover() takes the session (once) and, when the client's offset is still in
// the stream, the broadcasts after it for the session's rooms, within `max_scan` entries (at
// most kMaxMissed) and kMaxMissedBytes.
#include <memory>

#include "cluster/limits.hpp"
#include "cluster/streams_codec.hpp"
#include "recovery/recovery_store.hpp"
#include "redis/connection.hpp"

namespace pulseboard::recovery {

class StreamsRecoveryStore final : public RecoveryStore {
 public:
  struct Options {
    std::string stream;                 // the streams adapter's `streamName`
    std::uint32_t stream_count = 1;     // and `streamCount`
    std::string session_prefix;         // `sessionKeyPrefix`
    std::size_t max_scan = kMaxMissed;  // entries read after the offset at most (≤ kMaxMissed)
    cluster::Limits limits{};           // each entry and session is hostile until within them
  };
  // `connection` must be started by the caller.
  StreamsRecoveryStore(std::shared_ptr<redis::Connection> connection, Options options);

  void record(const std::string&, const std::string&, const std::string&,
              const std::string&) override {}
  void save(const RecoverableSession& session, std::chrono::milliseconds ttl) override;
  void forget(const std::string& nsp, const std::string& pid) override;
  void recover(const std::string& nsp, const std::string& pid, const std::string& offset,
               Done done) override;

 private:
  std::shared_ptr<redis::Connection> connection_;
  Options options_;
};

// What recover() makes of Redis's answer: the session read back as `nsp`'s, and the packets for
// it among `entries` (the ones after the client's offset); nullopt when the session is not one,
// a packet for it carries binary (it could not be sent as text) or more than kMaxMissed were
// missed. Exposed for the unit tests.
std::optional<Recovered> recovered_from_stream(const std::string& nsp, const std::string& pid,
                                               const std::string& session_value,
                                               const std::vector<cluster::streams::Entry>& entries,
                                               const cluster::Limits& limits);

}  // namespace pulseboard::recovery
