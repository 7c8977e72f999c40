#include "changes/postgres_slot_health.hpp"

#include <spdlog/spdlog.h>

#include "db/postgres.hpp"

namespace pulseboard::changes {
namespace {
// The slot's retained WAL and flush lag in bytes, and whether the table is published.
constexpr const char* kSampleSql =
    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, "
    "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
    "EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = $2 AND tablename = $3) "
    "FROM pg_replication_slots WHERE slot_name = $1";
constexpr std::chrono::minutes kWarnEvery{1};
}  // namespace

PostgresSlotHealth::PostgresSlotHealth(std::string slot, std::string publication, std::string table,
                                       std::chrono::milliseconds interval,
                                       std::int64_t max_retained_wal_bytes)
    : slot_(std::move(slot)),
      publication_(std::move(publication)),
      table_(std::move(table)),
      interval_(interval),
      max_retained_wal_bytes_(max_retained_wal_bytes) {}

void PostgresSlotHealth::maybe_sample(PGconn* conn) {
  const auto now = std::chrono::steady_clock::now();
  if (!conn || interval_.count() <= 0 || now < next_) return;
  next_ = now + interval_;
  const char* params[] = {slot_.c_str(), publication_.c_str(), table_.c_str()};
  db::pg::Result res(PQexecParams(conn, kSampleSql, 3, nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK || PQntuples(res.get()) != 1) {
    spdlog::debug("worker: cannot sample slot {}: {}", slot_, PQerrorMessage(conn));
    return;
  }
  SourceHealth h;
  h.sampled = true;
  h.retained_wal_bytes = std::atoll(PQgetvalue(res.get(), 0, 0));
  h.flush_lag_bytes = std::atoll(PQgetvalue(res.get(), 0, 1));
  h.table_published = std::string_view(PQgetvalue(res.get(), 0, 2)) == "t";
  h.over_retained_wal =
      max_retained_wal_bytes_ > 0 && h.retained_wal_bytes > max_retained_wal_bytes_;
  note(h);
}

void PostgresSlotHealth::note(const SourceHealth& h) {
  SourceHealth before;
  {
    std::lock_guard lock(mutex_);
    before = last_;
    last_ = h;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!h.table_published && (before.table_published || now >= next_warning_)) {
    spdlog::error(
        "worker: table {} is not in publication {}: its changes do not reach the worker; "
        "delivery reported stale (the worker adds it again when its source restarts)",
        table_, publication_);
    next_warning_ = now + kWarnEvery;
  } else if (h.over_retained_wal && (!before.over_retained_wal || now >= next_warning_)) {
    spdlog::warn(
        "worker: slot {} retains {} bytes of WAL, past --max-retained-wal {} (confirmed flush "
        "lags by {} bytes); the slot is kept, the disk fills until the worker catches up",
        slot_, h.retained_wal_bytes, max_retained_wal_bytes_, h.flush_lag_bytes);
    next_warning_ = now + kWarnEvery;
  }
  if (h.table_published && !before.table_published && before.sampled)
    spdlog::info("worker: table {} is in publication {} again", table_, publication_);
}

SourceHealth PostgresSlotHealth::last() const {
  std::lock_guard lock(mutex_);
  return last_;
}

}  // namespace pulseboard::changes
