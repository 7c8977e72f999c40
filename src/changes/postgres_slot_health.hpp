#pragma once
// The PostgreSQL slot and publication, sampled on an ordinary connection (never the
// replication one): how much WAL the slot holds back, how far its confirmed flush lags the WAL
// end, and whether the followed table is still in the publication. A table dropped from the
// publication stalls the data while the canary (a logical decoding message, no table) still
// flows, so this is what catches it.
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "changes/change_source.hpp"

namespace pulseboard::changes {

class PostgresSlotHealth {
 public:
  PostgresSlotHealth(std::string slot, std::string publication, std::string table,
                     std::chrono::milliseconds interval, std::int64_t max_retained_wal_bytes);
  // Samples when the interval has passed; a failed query keeps the last sample.
  void maybe_sample(PGconn* conn);
  SourceHealth last() const;

 private:
  void note(const SourceHealth& h);

  const std::string slot_, publication_, table_;
  const std::chrono::milliseconds interval_;
  const std::int64_t max_retained_wal_bytes_;
  std::chrono::steady_clock::time_point next_{};
  std::chrono::steady_clock::time_point next_warning_{};
  mutable std::mutex mutex_;
  SourceHealth last_;
};

}  // namespace pulseboard::changes
