// PostgreSQL change source: logical replication with the built-in pgoutput plugin. We report
// as flushed only what the worker acknowledged, never further.
//
// Durable position: the slot alone is not one. PostgreSQL (15 and earlier) writes a slot to disk
// only when its xmin or restart LSN moved, so a confirmed flush LSN that only moved by our
// feedback is lost when the server restarts, and the slot streams again from an old position
// (everything since it was created, or since its last write). So each acknowledged position is
// also stored in `worker_positions` (row `postgres-slot:<slot>@<system identifier>`) before it
// is reported, and a start streams from the larger of that and the slot's confirmed position.
//
// Positions: every event of one transaction carries the transaction's commit LSN in its
// event_id. Only the transaction's last event carries a `position` that moves the slot: the end
// of the commit record (the server skips a transaction only when its commit record starts
// before the confirmed position, so confirming the commit LSN itself would replay it). The
// others carry the previous transaction's end, so a batch cut in the middle of a transaction
// never acknowledges the transaction's unpublished rest.
#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>
#include <unordered_map>

#include "changes/change_source.hpp"
#include "changes/event_id.hpp"
#include "changes/pgoutput_decoder.hpp"
#include "changes/postgres_row.hpp"
#include "changes/postgres_slot_health.hpp"
#include "db/postgres.hpp"
#include "db/schema.hpp"
#include "pipeline/pushdown_postgres.hpp"

namespace pulseboard::changes {
namespace json = boost::json;
using pgoutput::Lsn;

namespace {

// A transaction is buffered until its Commit; past this many rows the source gives up with a
// named error instead of growing without bound (orders are written one row per transaction).
constexpr std::size_t kMaxTransactionRows = 100'000;
constexpr auto kStatusEvery = std::chrono::seconds(10);
// The prefix of the delivery canary's logical decoding message (emit_canary).
constexpr std::string_view kCanaryPrefix = "pulseboard-canary";
// pgoutput sends logical decoding messages from PostgreSQL 14 on (the `messages` option).
constexpr int kMessagesVersion = 140000;  // well under wal_sender_timeout (60 s)

// Only forward: a deposed leader acknowledging late must not move the position back under the
// new one (that would replay what the new leader delivered).
constexpr const char* kStorePositionSql =
    "INSERT INTO worker_positions(source, position, updated_at) VALUES ($1, $2, "
    "(extract(epoch FROM clock_timestamp()) * 1000)::bigint) ON CONFLICT (source) DO UPDATE SET "
    "position = excluded.position, updated_at = excluded.updated_at "
    "WHERE worker_positions.position::pg_lsn < excluded.position::pg_lsn";

std::int64_t now_pg_us() {
  auto unix_us = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  return pgoutput::pg_time_from_unix_us(unix_us);
}

std::string quote_ident(PGconn* conn, const std::string& name) {
  char* q = PQescapeIdentifier(conn, name.c_str(), name.size());
  std::string out = q ? q : name;
  PQfreemem(q);
  return out;
}

std::string bare_name(const std::string& table) {
  const auto dot = table.rfind('.');
  return dot == std::string::npos ? table : table.substr(dot + 1);
}

class PostgresChangeSource final : public ChangeSource {
 public:
  PostgresChangeSource(std::string conninfo, const SourceOptions& options)
      : conninfo_(std::move(conninfo)),
        options_(options),
        health_(options.slot, options.publication,
                options.tables.empty() ? std::string("orders") : bare_name(options.tables[0].name),
                options.health_interval, options.max_retained_wal_bytes) {}
  ~PostgresChangeSource() override { stop(); }

  std::string name() const override { return "postgres"; }

  std::optional<SourceError> start(std::optional<std::string> resume) override {
    stop();
    std::optional<Lsn> start_lsn;
    if (resume && *resume != kFromNow) {
      start_lsn = pgoutput::parse_lsn(*resume);
      if (!start_lsn) return unavailable("invalid LSN " + *resume);
    }
    if (auto err = prepare(resume && *resume == kFromNow)) return err;

    conn_ = db::pg::connect_replication(conninfo_, "pulseboard-worker");
    if (PQstatus(conn_.get()) != CONNECTION_OK)
      return unavailable("replication connection", conn_.get());
    if (auto err = read_stored_position()) return err;

    // An explicit position wins; otherwise the furthest of what we stored and what the slot
    // says (the slot is ahead after a skip to now, or of a slot dropped and created again).
    const Lsn from = start_lsn.value_or(std::max(confirmed_, stored_));
    std::string cmd = "START_REPLICATION SLOT " + quote_ident(conn_.get(), options_.slot) +
                      " LOGICAL " + pgoutput::format_lsn(from) +
                      " (proto_version '1', publication_names '" + options_.publication + "'" +
                      (version_ >= kMessagesVersion ? ", messages 'true')" : ")");
    db::pg::Result res(PQexec(conn_.get(), cmd.c_str()));
    if (PQresultStatus(res.get()) != PGRES_COPY_BOTH)
      return unavailable("START_REPLICATION", conn_.get());
    // The server streams from max(from, slot's confirmed flush); until a row arrives, what we
    // have acknowledged is that.
    acknowledged_ = std::max(from, confirmed_);
    skip_through_ = acknowledged_;
    previous_end_ = acknowledged_;
    in_transaction_ = false;
    transaction_.clear();
    ready_.clear();
    handed_out_up_to_ = acknowledged_;
    spdlog::info(
        "worker: postgres slot {} streaming from {} (stored acknowledged position {}, slot "
        "confirmed {}; publication {}, row filter: {})",
        options_.slot, pgoutput::format_lsn(acknowledged_), pgoutput::format_lsn(stored_),
        pgoutput::format_lsn(confirmed_), options_.publication,
        row_filter_.empty() ? "none" : row_filter_);
    // Moves the slot's confirmed position to where we start at once, not 10 s later.
    return maybe_send_status(true);
  }

  std::variant<std::vector<ChangeEvent>, SourceError> poll(std::chrono::milliseconds max_wait,
                                                           std::size_t max_batch) override {
    if (!conn_) return SourceError{SourceError::Kind::unavailable, "postgres source not started"};
    health_.maybe_sample(positions_.get());
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    while (ready_.empty()) {
      if (auto err = read_available()) return *err;
      if (!ready_.empty()) break;
      if (auto err = maybe_send_status(false)) return *err;
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return std::vector<ChangeEvent>{};
      pollfd pfd{PQsocket(conn_.get()), POLLIN, 0};
      int ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
      if (::poll(&pfd, 1, std::max(ms, 1)) < 0 && errno != EINTR)
        return SourceError{SourceError::Kind::unavailable,
                           "poll() on the replication socket failed"};
      if (PQconsumeInput(conn_.get()) == 0)
        return *unavailable("reading the replication stream", conn_.get());
    }
    std::vector<ChangeEvent> out;
    while (!ready_.empty() && out.size() < max_batch) {
      out.push_back(std::move(ready_.front()));
      ready_.pop_front();
    }
    for (auto& e : out)
      if (auto lsn = pgoutput::parse_lsn(e.position))
        handed_out_up_to_ = std::max(handed_out_up_to_, *lsn);
    return out;
  }

  std::optional<SourceError> acknowledge(const std::string& position) override {
    auto lsn = pgoutput::parse_lsn(position);
    if (!lsn) return SourceError{SourceError::Kind::unavailable, "invalid LSN " + position};
    // Stored first: a position reported to the server but not stored would be replayed after
    // a server restart (the slot forgets it), one stored but not reported is merely re-sent.
    if (*lsn > stored_) {
      if (auto err = store_position(*lsn)) return err;
      stored_ = *lsn;
    }
    if (*lsn > acknowledged_) acknowledged_ = *lsn;
    return maybe_send_status(true);
  }

  void stop() override {
    if (conn_) {
      // Report the final acknowledged position before leaving; best effort.
      maybe_send_status(true);
    }
    conn_.reset();
    positions_.reset();
  }

  SourceCounters counters() const override { return {replayed_.load(), skipped_.load()}; }
  SourceHealth health() const override { return health_.last(); }

  // A transactional logical decoding message: it is decoded when its transaction commits, in
  // commit order behind every transaction committed before it, and carries a commit LSN like a
  // row does, so it waits exactly where an order would and its position is acknowledged the same
  // way. A non-transactional one would be sent as soon as it is decoded, ahead of transactions
  // still being decoded. It writes no table, so a table dropped from the publication does not
  // stop it: the publication check (cdc_health) reports that.
  std::optional<std::string> emit_canary() override {
    if (!positions_) return std::string("postgres source not started");
    if (version_ < kMessagesVersion) return std::string(kNoCanary);
    const std::string prefix(kCanaryPrefix);
    const char* params[] = {prefix.c_str()};
    db::pg::Result res(PQexecParams(positions_.get(),
                                    "SELECT pg_logical_emit_message(true, $1, '{}')", 1, nullptr,
                                    params, nullptr, nullptr, 0));
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK)
      return std::string(PQerrorMessage(positions_.get()));
    return std::nullopt;
  }

 private:
  std::optional<SourceError> unavailable(std::string what, PGconn* conn = nullptr) {
    std::string msg = what;
    if (conn) msg += ": " + std::string(PQerrorMessage(conn));
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return SourceError{SourceError::Kind::unavailable, std::move(msg)};
  }

  // Publication and slot, over a regular connection. Push-down: the publication's row filter
  // (PostgreSQL 15) carries the expressible part of the first $match.
  std::optional<SourceError> prepare(bool from_now) {
    // Kept open after the setup: acknowledged positions are stored through it.
    positions_ = db::pg::connect(conninfo_);
    PGconn* c = positions_.get();
    if (PQstatus(c) != CONNECTION_OK) return unavailable("connection", c);

    const int version = PQserverVersion(c);
    version_ = version;
    published_ = published_tables(c, version);
    row_filter_.clear();
    for (const auto& t : published_)
      row_filter_ += (row_filter_.empty() ? "" : "; ") + t.name +
                     (t.filter.empty() ? ": none" : ": " + t.filter);
    if (version < pipeline::kPostgresRowFilterVersion && options_.push_down)
      spdlog::warn(
          "worker: PostgreSQL server version {} has no publication row filters (15 has); every "
          "row is published and the worker filters",
          version);
    if (auto err = prepare_schema(c)) return err;
    if (auto err = find_or_create_slot(c)) return err;
    if (options_.take_over_slot)
      if (auto err = take_over_slot(c, version)) return err;
    if (from_now) return skip_slot_to_now(c);
    return std::nullopt;
  }

  // A table of the publication: its name in SQL and its row filter (empty: every row).
  struct PublishedTable {
    std::string name;
    std::string sql;
    std::string filter;
  };

  std::vector<PublishedTable> published_tables(PGconn* c, int version) const {
    if (options_.tables.empty()) {
      auto filter =
          pipeline::publication_row_filter(options_.pipeline, options_.push_down, version);
      return {{"orders", "orders", std::move(filter)}};
    }
    std::vector<PublishedTable> out;
    for (const auto& t : options_.tables) {
      std::vector<const pipeline::Pipeline*> pipelines;
      for (const auto& p : t.pipelines) pipelines.push_back(&p);
      const auto dot = t.name.find('.');
      std::string sql = dot == std::string::npos ? quote_ident(c, t.name)
                                                 : quote_ident(c, t.name.substr(0, dot)) + "." +
                                                       quote_ident(c, t.name.substr(dot + 1));
      if (t.name == "orders") sql = "orders";
      out.push_back(
          {t.name, std::move(sql),
           pipeline::publication_row_filter(pipelines, options_.push_down, version, t.name)});
    }
    return out;
  }

  // A row filter on a column outside the replica identity makes PostgreSQL refuse every UPDATE
  // of the table: a filtered table gets REPLICA IDENTITY FULL (orders has it from the schema).
  static std::optional<std::string> full_identity(PGconn* conn, const PublishedTable& t) {
    if (t.filter.empty() || t.name == "orders") return std::nullopt;
    const std::string check =
        "SELECT relreplident FROM pg_class WHERE oid = to_regclass('" + t.sql + "')";
    db::pg::Result r(PQexec(conn, check.c_str()));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) == 0)
      return "table " + t.name + " does not exist";
    if (std::string_view(PQgetvalue(r.get(), 0, 0)) == "f") return std::nullopt;
    db::pg::Result alter(PQexec(conn, ("ALTER TABLE " + t.sql + " REPLICA IDENTITY FULL").c_str()));
    if (PQresultStatus(alter.get()) != PGRES_COMMAND_OK)
      return "setting REPLICA IDENTITY FULL on " + t.name + ": " + PQerrorMessage(conn);
    return std::nullopt;
  }

  std::optional<SourceError> prepare_schema(PGconn* c) {
    const std::string pub = quote_ident(c, options_.publication);
    std::string table;
    for (const auto& t : published_)
      table += (table.empty() ? "" : ", ") + t.sql +
               (t.filter.empty() ? "" : " WHERE (" + t.filter + ")");
    // The store's tables and the publication, in one transaction under the schema lock
    // (pg::run_schema_setup): an API starting at the same instant creates the same tables, and
    // a concurrent CREATE ... IF NOT EXISTS or CREATE PUBLICATION fails instead of skipping.
    // With the tables created here too, the worker does not depend on the API starting first.
    auto schema = db::pg::run_schema_setup(c, [&](PGconn* conn) -> std::optional<std::string> {
      db::pg::Result positions(
          PQexec(conn, std::string(db::postgres_worker_positions_sql()).c_str()));
      if (PQresultStatus(positions.get()) != PGRES_COMMAND_OK)
        return "creating worker_positions: " + std::string(PQerrorMessage(conn));
      for (const auto& t : published_)
        if (auto err = full_identity(conn, t)) return err;
      const char* params[] = {options_.publication.c_str()};
      db::pg::Result exists(PQexecParams(conn, "SELECT 1 FROM pg_publication WHERE pubname = $1", 1,
                                         nullptr, params, nullptr, nullptr, 0));
      if (PQresultStatus(exists.get()) != PGRES_TUPLES_OK)
        return "reading publications: " + std::string(PQerrorMessage(conn));
      // Re-stating the table on every start keeps the row filter in step with the pipeline.
      std::string sql = PQntuples(exists.get()) == 0
                            ? "CREATE PUBLICATION " + pub + " FOR TABLE " + table +
                                  " WITH (publish = 'insert, update')"
                            : "ALTER PUBLICATION " + pub + " SET TABLE " + table +
                                  "; ALTER PUBLICATION " + pub +
                                  " SET (publish = 'insert, update')";
      db::pg::Result pub_res(PQexec(conn, sql.c_str()));
      if (PQresultStatus(pub_res.get()) != PGRES_COMMAND_OK)
        return "preparing publication " + options_.publication + ": " +
               std::string(PQerrorMessage(conn));
      return std::nullopt;
    });
    if (schema) return SourceError{SourceError::Kind::unavailable, "schema setup: " + *schema};
    return std::nullopt;
  }

  // The slot's confirmed position, creating the slot when it does not exist.
  std::optional<SourceError> find_or_create_slot(PGconn* c) {
    const char* slot[] = {options_.slot.c_str()};
    db::pg::Result slot_res(PQexecParams(
        c,
        "SELECT confirmed_flush_lsn::text, plugin FROM pg_replication_slots WHERE slot_name = $1",
        1, nullptr, slot, nullptr, nullptr, 0));
    if (PQresultStatus(slot_res.get()) != PGRES_TUPLES_OK) return unavailable("reading slots", c);
    if (PQntuples(slot_res.get()) == 0) {
      db::pg::Result created(PQexecParams(
          c, "SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", 1, nullptr,
          slot, nullptr, nullptr, 0));
      if (PQresultStatus(created.get()) == PGRES_TUPLES_OK) {
        confirmed_ = pgoutput::parse_lsn(PQgetvalue(created.get(), 0, 0)).value_or(0);
        spdlog::info("worker: created replication slot {} at {}", options_.slot,
                     pgoutput::format_lsn(confirmed_));
      } else {
        // Not under the schema lock: creating a logical slot waits for every running
        // transaction, so it must not run inside one (nor make others wait for it). Another
        // worker that created the same slot meanwhile (42710 duplicate_object) is fine: read it.
        const char* state = PQresultErrorField(created.get(), PG_DIAG_SQLSTATE);
        if (!state || std::string_view(state) != "42710")
          return unavailable("creating replication slot " + options_.slot, c);
        db::pg::Result again(PQexecParams(
            c, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", 1,
            nullptr, slot, nullptr, nullptr, 0));
        if (PQresultStatus(again.get()) != PGRES_TUPLES_OK || PQntuples(again.get()) == 0)
          return unavailable("reading replication slot " + options_.slot, c);
        confirmed_ = pgoutput::parse_lsn(PQgetvalue(again.get(), 0, 0)).value_or(0);
      }
    } else {
      confirmed_ = pgoutput::parse_lsn(PQgetvalue(slot_res.get(), 0, 0)).value_or(0);
    }
    return std::nullopt;
  }

  std::optional<SourceError> take_over_slot(PGconn* c, int version) {
    const char* slot[] = {options_.slot.c_str()};
    // We hold the lease (the worker starts a source only then), so whoever still holds the
    // slot is a dead or deposed leader: one whose TCP connection never closed stays active
    // until wal_sender_timeout. Terminate it instead of failing START_REPLICATION until then.
    // PostgreSQL 14+ waits (up to 5 s) for the backend to exit.
    db::pg::Result held(PQexecParams(
        c,
        version >= 140000 ? "SELECT active_pid, pg_terminate_backend(active_pid, 5000) FROM "
                            "pg_replication_slots WHERE slot_name = $1 AND active"
                          : "SELECT active_pid, pg_terminate_backend(active_pid) FROM "
                            "pg_replication_slots WHERE slot_name = $1 AND active",
        1, nullptr, slot, nullptr, nullptr, 0));
    if (PQresultStatus(held.get()) != PGRES_TUPLES_OK)
      return unavailable("taking over replication slot " + options_.slot, c);
    if (PQntuples(held.get()) > 0)
      spdlog::warn("worker: replication slot {} was still held by backend {}; terminated it",
                   options_.slot, PQgetvalue(held.get(), 0, 0));
    return std::nullopt;
  }

  std::optional<SourceError> skip_slot_to_now(PGconn* c) {
    const char* slot[] = {options_.slot.c_str()};
    db::pg::Result adv(PQexecParams(
        c, "SELECT end_lsn::text FROM pg_replication_slot_advance($1, pg_current_wal_lsn())", 1,
        nullptr, slot, nullptr, nullptr, 0));
    if (PQresultStatus(adv.get()) != PGRES_TUPLES_OK)
      return unavailable("advancing slot " + options_.slot, c);
    confirmed_ = pgoutput::parse_lsn(PQgetvalue(adv.get(), 0, 0)).value_or(confirmed_);
    spdlog::warn("worker: slot {} skipped ahead to {}", options_.slot,
                 pgoutput::format_lsn(confirmed_));
    return std::nullopt;
  }

  // Drains whatever libpq has buffered, without blocking.
  std::optional<SourceError> read_available() {
    while (true) {
      char* buf = nullptr;
      int n = PQgetCopyData(conn_.get(), &buf, 1);
      if (n == 0) return std::nullopt;
      if (n == -1) {
        db::pg::Result end(PQgetResult(conn_.get()));
        return unavailable("replication stream ended", conn_.get());
      }
      if (n < 0) return unavailable("reading CopyData", conn_.get());
      std::string bytes(buf, static_cast<std::size_t>(n));
      PQfreemem(buf);
      if (auto err = handle_copy_data(bytes)) return err;
    }
  }

  std::optional<SourceError> handle_copy_data(const std::string& bytes) {
    auto frame = pgoutput::decode_copy_data(bytes);
    if (auto* e = std::get_if<pgoutput::DecodeError>(&frame))
      return SourceError{SourceError::Kind::unavailable, e->message};
    if (auto* k = std::get_if<pgoutput::Keepalive>(&frame)) {
      // Nothing handed out and nothing pending: every change up to the server's sent position
      // has been seen and none of it was ours, so the slot may move there (keeps WAL from
      // piling up while other tables change).
      if (idle() && k->wal_end > acknowledged_) acknowledged_ = k->wal_end;
      if (k->reply_requested) return maybe_send_status(true);
      return std::nullopt;
    }
    auto& x = std::get<pgoutput::XLogData>(frame);
    auto decoded = pgoutput::decode_message(x.payload);
    if (auto* e = std::get_if<pgoutput::DecodeError>(&decoded))
      return SourceError{SourceError::Kind::unavailable, e->message};
    return std::visit([this](auto& m) { return on_message(m); },
                      std::get<pgoutput::Message>(decoded));
  }

  bool idle() const {
    return !in_transaction_ && ready_.empty() && acknowledged_ >= handed_out_up_to_;
  }

  std::optional<SourceError> on_message(pgoutput::Begin& b) {
    in_transaction_ = true;
    commit_lsn_ = b.final_lsn;
    commit_ms_ = pgoutput::unix_ms_from_pg_time(b.commit_time_us);
    transaction_.clear();
    return std::nullopt;
  }
  std::optional<SourceError> on_message(pgoutput::Relation& r) {
    relations_[r.id] = std::move(r);
    return std::nullopt;
  }
  std::optional<SourceError> on_message(pgoutput::Insert& m) {
    return add_row("insert", m.relation_id, m.new_tuple, nullptr);
  }
  std::optional<SourceError> on_message(pgoutput::Update& m) {
    return add_row("update", m.relation_id, m.new_tuple, m.old_tuple ? &*m.old_tuple : nullptr);
  }
  std::optional<SourceError> on_message(pgoutput::Delete&) { return std::nullopt; }
  std::optional<SourceError> on_message(pgoutput::Ignored&) { return std::nullopt; }
  std::optional<SourceError> on_message(pgoutput::LogicalMessage& m) {
    // Another program's messages, and non-transactional ones, are not ours.
    if (m.prefix != kCanaryPrefix || !m.transactional || !in_transaction_) return std::nullopt;
    if (transaction_.size() >= kMaxTransactionRows) return std::nullopt;
    ChangeEvent e;
    e.committed_at_ms = commit_ms_;
    e.canary = true;
    transaction_.push_back(std::move(e));
    return std::nullopt;
  }
  std::optional<SourceError> on_message(pgoutput::Commit& c) {
    in_transaction_ = false;
    if (c.end_lsn <= read_up_to_)
      replayed_ += transaction_.size();
    else
      read_up_to_ = c.end_lsn;
    if (c.end_lsn <= skip_through_) {
      // Acknowledged before this start: the server should not have sent it. Not delivered twice.
      skipped_ += transaction_.size();
      spdlog::debug("worker: skipped transaction {} (acknowledged through {})",
                    pgoutput::format_lsn(c.commit_lsn), pgoutput::format_lsn(skip_through_));
      transaction_.clear();
      previous_end_ = std::max(previous_end_, c.end_lsn);
      return std::nullopt;
    }
    const std::string commit = pgoutput::format_lsn(c.commit_lsn);
    const std::string end = pgoutput::format_lsn(c.end_lsn);
    const std::string previous = pgoutput::format_lsn(previous_end_);
    for (std::size_t i = 0; i < transaction_.size(); ++i) {
      ChangeEvent& e = transaction_[i];
      e.position = i + 1 == transaction_.size() ? end : previous;
      e.event_id = postgres_event_id(c.commit_lsn, i);
      e.document["_id"] = json::object{{"position", commit}};
      ready_.push_back(std::move(e));
    }
    transaction_.clear();
    previous_end_ = c.end_lsn;
    return std::nullopt;
  }

  std::optional<SourceError> add_row(const char* operation, std::uint32_t relation_id,
                                     const pgoutput::Tuple& row, const pgoutput::Tuple* old_row) {
    auto rel = relations_.find(relation_id);
    if (rel == relations_.end())
      return SourceError{
          SourceError::Kind::unavailable,
          "row for relation " + std::to_string(relation_id) + " before its Relation"};
    if (transaction_.size() >= kMaxTransactionRows)
      return SourceError{SourceError::Kind::unavailable,
                         "transaction at " + pgoutput::format_lsn(commit_lsn_) + " has more than " +
                             std::to_string(kMaxTransactionRows) + " rows; not buffered"};
    ChangeEvent e;
    e.committed_at_ms = commit_ms_;
    e.table =
        rel->second.schema.empty() ? rel->second.name : rel->second.schema + "." + rel->second.name;
    const bool own_names = !contract_names(rel->second.name);
    e.document = change_document(rel->second.name, pgoutput::format_lsn(commit_lsn_), operation,
                                 document_from_row(rel->second, row, old_row, own_names), own_names,
                                 PQdb(conn_.get()), commit_ms_);
    transaction_.push_back(std::move(e));
    return std::nullopt;
  }

  // IDENTIFY_SYSTEM names the cluster (a position is kept per cluster: one from a restored dump
  // in another cluster means nothing here) and its current WAL end (a stored position past it
  // is not from this history). Either way the stored position is ignored, never trusted.
  std::optional<SourceError> read_stored_position() {
    stored_ = 0;
    db::pg::Result id(PQexec(conn_.get(), "IDENTIFY_SYSTEM"));
    if (PQresultStatus(id.get()) != PGRES_TUPLES_OK || PQntuples(id.get()) != 1 ||
        PQnfields(id.get()) < 3)
      return unavailable("IDENTIFY_SYSTEM", conn_.get());
    position_key_ = "postgres-slot:" + options_.slot + "@" + PQgetvalue(id.get(), 0, 0);
    const Lsn wal_end = pgoutput::parse_lsn(PQgetvalue(id.get(), 0, 2)).value_or(0);
    const char* params[] = {position_key_.c_str()};
    db::pg::Result row(PQexecParams(positions_.get(),
                                    "SELECT position FROM worker_positions WHERE source = $1", 1,
                                    nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(row.get()) != PGRES_TUPLES_OK)
      return unavailable("reading worker_positions", positions_.get());
    if (PQntuples(row.get()) == 0) return std::nullopt;
    const std::string text = PQgetvalue(row.get(), 0, 0);
    auto lsn = pgoutput::parse_lsn(text);
    if (!lsn || *lsn > wal_end) {
      spdlog::warn("worker: stored position {} of {} is not in this server's WAL (end {}); ignored",
                   text, position_key_, pgoutput::format_lsn(wal_end));
      return std::nullopt;
    }
    stored_ = *lsn;
    return std::nullopt;
  }

  std::optional<SourceError> store_position(Lsn lsn) {
    if (!positions_.get()) return unavailable("postgres source not started");
    const std::string text = pgoutput::format_lsn(lsn);
    const char* params[] = {position_key_.c_str(), text.c_str()};
    db::pg::Result res(
        PQexecParams(positions_.get(), kStorePositionSql, 2, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK)
      return unavailable("storing position " + text + " in worker_positions", positions_.get());
    return std::nullopt;
  }

  // Reports write = flush = apply = the last acknowledged LSN: never further (the slot keeps
  // the WAL from there, and while the server runs it resumes from there).
  std::optional<SourceError> maybe_send_status(bool force) {
    if (!conn_) return std::nullopt;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_status_ < kStatusEvery) return std::nullopt;
    last_status_ = now;
    auto msg =
        pgoutput::encode_standby_status(acknowledged_, acknowledged_, acknowledged_, now_pg_us());
    if (PQputCopyData(conn_.get(), msg.data(), static_cast<int>(msg.size())) != 1 ||
        PQflush(conn_.get()) < 0)
      return unavailable("sending standby status", conn_.get());
    return std::nullopt;
  }

  std::string conninfo_;
  SourceOptions options_;
  db::pg::Conn conn_;       // replication
  db::pg::Conn positions_;  // regular: schema setup, then worker_positions
  std::string row_filter_;  // for the log: each table's row filter
  std::vector<PublishedTable> published_;
  int version_ = 0;           // the server's, read at start
  std::string position_key_;  // worker_positions.source
  Lsn confirmed_ = 0;         // slot's confirmed flush LSN when we started
  Lsn stored_ = 0;            // in worker_positions (read at start, then written by acknowledge)
  Lsn skip_through_ = 0;      // where this start resumed: a transaction ending here is not ours
  Lsn read_up_to_ = 0;        // furthest transaction end read by this object, across restarts
  std::atomic<std::uint64_t> replayed_{0}, skipped_{0};
  Lsn acknowledged_ = 0;  // reported to the server as flushed
  Lsn previous_end_ = 0;  // end of the last transaction seen
  Lsn commit_lsn_ = 0;
  std::int64_t commit_ms_ = 0;
  bool in_transaction_ = false;
  std::vector<ChangeEvent> transaction_;  // bounded by kMaxTransactionRows
  std::deque<ChangeEvent> ready_;         // whole transactions not yet handed out
  Lsn handed_out_up_to_ = 0;              // highest commit LSN among events handed out by poll()
  std::unordered_map<std::uint32_t, pgoutput::Relation> relations_;
  std::chrono::steady_clock::time_point last_status_{};
  PostgresSlotHealth health_;
};

}  // namespace

std::unique_ptr<ChangeSource> make_postgres_source(std::string conninfo,
                                                   const SourceOptions& options) {
  return std::make_unique<PostgresChangeSource>(std::move(conninfo), options);
}

}  // namespace pulseboard::changes
