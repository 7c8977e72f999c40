#include "order_writer.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <thread>

#include "../loadgen/frame_timestamp.hpp"
#include "db/schema.hpp"

namespace pulseboard::bench {

namespace {

constexpr const char* kInsert = "pulseboard_bench_insert";
constexpr const char* kCategories[] = {"books", "games", "garden", "music", "toys"};

std::string error_of(pg_conn* conn) {
  std::string text = PQerrorMessage(conn);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

CommitLog::CommitLog(std::uint64_t n)
    : capacity(n),
      sent_ns(new std::atomic<std::uint64_t>[n]()),
      acked_ns(new std::atomic<std::uint64_t>[n]()),
      phase(new std::atomic<std::uint8_t>[n]()) {}

OrderWriter::OrderWriter(std::string database_url, std::string id_prefix)
    : url_(std::move(database_url)), id_prefix_(std::move(id_prefix)) {}

OrderWriter::~OrderWriter() {
  if (conn_) PQfinish(conn_);
}

std::optional<std::string> OrderWriter::connect() {
  conn_ = PQconnectdb(url_.c_str());
  if (!conn_) return "cannot allocate a libpq connection";
  if (PQstatus(conn_) != CONNECTION_OK) return "PostgreSQL: " + error_of(conn_);
  return std::nullopt;
}

std::optional<std::string> OrderWriter::create_schema() {
  std::string sql(db::postgres_schema_sql());
  PGresult* r = PQexec(conn_, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) return "creating the orders table: " + error_of(conn_);
  return std::nullopt;
}

std::optional<std::string> OrderWriter::prepare() {
  PGresult* r = PQprepare(conn_, kInsert,
                          "INSERT INTO orders (id, amount, status, category, created_at, "
                          "updated_at) VALUES ($1, $2, 'completed', $3, now(), now())",
                          3, nullptr);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) return "preparing the INSERT: " + error_of(conn_);
  return std::nullopt;
}

WriteResult OrderWriter::run(double rate, std::chrono::duration<double> duration,
                             std::uint8_t phase, CommitLog& log, std::uint64_t& next_event) {
  using clock = std::chrono::steady_clock;
  WriteResult result;
  result.first_event = result.end_event = next_event;
  if (!conn_ || rate <= 0) return result;
  auto count = static_cast<std::uint64_t>(rate * duration.count() + 0.5);
  LatencyHistogram round_trip;
  auto start = clock::now();
  auto last_ack = start;
  for (std::uint64_t i = 0; i < count && next_event < log.capacity; ++i) {
    auto due = start + std::chrono::duration_cast<clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(i) / rate));
    std::this_thread::sleep_until(due);
    if (clock::now() - due > std::chrono::milliseconds(1)) ++result.late;
    auto event = next_event++;
    std::string id = id_prefix_ + std::to_string(event);
    std::string amount = std::to_string(10 + event % 90) + ".50";
    const char* values[] = {id.c_str(), amount.c_str(), kCategories[event % 5]};
    log.phase[event].store(phase, std::memory_order_relaxed);
    auto sent = unix_now_ns();
    log.sent_ns[event].store(sent, std::memory_order_release);
    PGresult* r = PQexecPrepared(conn_, kInsert, 3, values, nullptr, nullptr, 0);
    auto acked = unix_now_ns();
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (ok) {
      log.acked_ns[event].store(acked, std::memory_order_release);
      round_trip.record((acked - sent) / 1000);
      ++result.committed;
    } else {
      ++result.errors;
      if (PQstatus(conn_) != CONNECTION_OK) break;  // the report shows the shortfall
    }
    last_ack = clock::now();
  }
  result.end_event = next_event;
  // A writer that keeps up takes the planned time; one that falls behind takes longer.
  result.seconds =
      std::max(std::chrono::duration<double>(last_ack - start).count(), duration.count());
  round_trip.add_to(result.commit_round_trip);
  return result;
}

}  // namespace pulseboard::bench
