#pragma once
// Writes completed orders straight into PostgreSQL with libpq, one autocommit INSERT per
// commit, on an absolute schedule (a late commit does not shift the ones after it). Each order's
// id carries its event number, and the commit log keeps, per event, when its INSERT was sent and
// when the server's commit acknowledgement came back: the time dashboards measure from.
// Synchronous libpq on the caller's thread: pacing commits is this thread's only job.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "../loadgen/latency_histogram.hpp"

struct pg_conn;

namespace pulseboard::bench {

// Indexed by event number; written by the writer before (sent, phase) and after (acked) each
// commit, read by the client threads when the event arrives.
struct CommitLog {
  explicit CommitLog(std::uint64_t capacity);
  std::uint64_t capacity;
  std::unique_ptr<std::atomic<std::uint64_t>[]> sent_ns;
  std::unique_ptr<std::atomic<std::uint64_t>[]> acked_ns;
  std::unique_ptr<std::atomic<std::uint8_t>[]> phase;
};

struct WriteResult {
  std::uint64_t first_event = 0, end_event = 0;  // [first, end) committed or attempted
  std::uint64_t committed = 0, errors = 0;
  std::uint64_t late = 0;  // commits sent more than 1 ms after their scheduled time
  double seconds = 0;      // from the first send to the last acknowledgement
  LatencyHistogram::Snapshot commit_round_trip;  // INSERT sent -> commit acknowledged, µs
};

class OrderWriter {
 public:
  // id_prefix makes this run's order ids unique in a database that already holds orders.
  OrderWriter(std::string database_url, std::string id_prefix);
  ~OrderWriter();
  OrderWriter(const OrderWriter&) = delete;
  OrderWriter& operator=(const OrderWriter&) = delete;

  // An error message, or nullopt once connected.
  std::optional<std::string> connect();
  // The orders table as the API's store creates it (db::postgres_schema_sql), idempotent.
  std::optional<std::string> create_schema();
  // Prepares the INSERT; call after create_schema().
  std::optional<std::string> prepare();
  // Commits round(rate × duration) orders with status "completed", numbering them from
  // `next_event` (advanced), stopping early when the log is full.
  WriteResult run(double rate, std::chrono::duration<double> duration, std::uint8_t phase,
                  CommitLog& log, std::uint64_t& next_event);

  const std::string& id_prefix() const { return id_prefix_; }

 private:
  std::string url_;
  std::string id_prefix_;
  pg_conn* conn_ = nullptr;
};

}  // namespace pulseboard::bench
