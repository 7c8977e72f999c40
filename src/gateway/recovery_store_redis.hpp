#pragma once
// Connection state recovery kept in Redis, shared by every gateway on it, so a client whose
// gateway died recovers on another one. Keys (one Redis, not a Redis Cluster):
//   pulseboard:recovery:<nsp>:order     sorted set: offset -> sequence (first record wins)
//   pulseboard:recovery:<nsp>:packets   hash: offset -> history entry (room, packet)
//   pulseboard:recovery:session:<pid>   the session as JSON, PX its ttl
// Both history keys keep `max_history` entries and expire `history_ttl` after the last record.
#include <memory>

#include "gateway/recovery_store.hpp"
#include "redis/connection.hpp"

namespace pulseboard::gateway {

class RedisRecoveryStore final : public RecoveryStore {
 public:
  // `connection` must be started by the caller.
  RedisRecoveryStore(std::shared_ptr<redis::Connection> connection, std::size_t max_history,
                     std::chrono::milliseconds history_ttl);

  void record(const std::string& nsp, const std::string& room, const std::string& offset,
              const std::string& packet) override;
  void save(const RecoverableSession& session, std::chrono::milliseconds ttl) override;
  void forget(const std::string& pid) override;
  void recover(const std::string& nsp, const std::string& pid, const std::string& offset,
               Done done) override;

 private:
  std::shared_ptr<redis::Connection> connection_;
  std::size_t max_history_;
  std::chrono::milliseconds history_ttl_;
};

}  // namespace pulseboard::gateway
