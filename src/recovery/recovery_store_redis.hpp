#pragma once
// Connection state recovery kept in Redis, shared by every gateway on it, so a client whose
// gateway died recovers on another one. Keys, all of one namespace under one hash tag so that
// the scripts find them on one node of a Redis Cluster:
//   pulseboard:recovery:{<nsp>}:order        sorted set: offset -> sequence (first record wins)
//   pulseboard:recovery:{<nsp>}:packets      hash: offset -> history entry (room, packet)
//   pulseboard:recovery:{<nsp>}:session:<pid> the session as JSON, PX its ttl
// Both history keys keep `max_history` entries and expire `history_ttl` after the last record.
#include <functional>
#include <memory>
#include <vector>

#include "recovery/recovery_store.hpp"
#include "redis/connection.hpp"

namespace pulseboard::recovery {

class RedisRecoveryStore final : public RecoveryStore {
 public:
  // Sends a command about `key` (one Redis: any connection; a Redis Cluster: the node that
  // holds the key, redis::ClusterRouter). `cb` runs once, on any thread.
  using Commands = std::function<void(const std::string& key, std::vector<std::string> args,
                                      redis::Connection::Callback cb)>;
  // On one connection, which the caller starts.
  static Commands on(std::shared_ptr<redis::Connection> connection);

  RedisRecoveryStore(Commands commands, std::size_t max_history,
                     std::chrono::milliseconds history_ttl);

  void record(const std::string& nsp, const std::string& room, const std::string& offset,
              const std::string& packet) override;
  void save(const RecoverableSession& session, std::chrono::milliseconds ttl) override;
  void forget(const std::string& nsp, const std::string& pid) override;
  void recover(const std::string& nsp, const std::string& pid, const std::string& offset,
               Done done) override;

 private:
  Commands commands_;
  std::size_t max_history_;
  std::chrono::milliseconds history_ttl_;
};

}  // namespace pulseboard::recovery
