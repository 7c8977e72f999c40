// The PostgreSQL order store. No outbox here: the worker follows PostgreSQL's own change
// stream (logical replication of `orders`), which carries exactly the committed writes.
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "db/postgres.hpp"
#include "store/connection_pool.hpp"
#include "store/cursor.hpp"
#include "store/order_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace pulseboard::store {
namespace {

using db::pg::Param;

// Timestamps go in as ISO-8601 text and come back as unix ms: exact (extract() returns numeric
// since PostgreSQL 14) and independent of the session's DateStyle and TimeZone.
constexpr std::string_view kColumns =
    "id, amount, status, category, (extract(epoch from created_at) * 1000)::bigint, "
    "(extract(epoch from updated_at) * 1000)::bigint";

std::string text(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip form
  return std::string(buf, end);
}

// format_iso8601_ms for a bound of a query: PostgreSQL has no year 0 (it refuses
// "0000-01-01..."), and no order is older than year 1, so earlier bounds move there unchanged in
// meaning.
std::string query_time(std::int64_t unix_ms) {
  constexpr std::int64_t kYear1Ms = -62135596800000;  // 0001-01-01T00:00:00.000Z
  return format_iso8601_ms(std::max(unix_ms, kYear1Ms));
}

std::optional<Order> read_order(const PGresult* r, int row) {
  auto status = parse_order_status(PQgetvalue(r, row, 2));
  if (!status) return std::nullopt;
  return Order{PQgetvalue(r, row, 0),
               std::strtod(PQgetvalue(r, row, 1), nullptr),
               *status,
               PQgetvalue(r, row, 3),
               std::strtoll(PQgetvalue(r, row, 4), nullptr, 10),
               std::strtoll(PQgetvalue(r, row, 5), nullptr, 10)};
}

StoreError failure(db::pg::Connection& conn, const PGresult* r, std::string_view what) {
  if (db::pg::transient(conn, r)) {
    spdlog::warn("postgres store: {} failed (will retry later): {}", what,
                 r ? PQresultErrorMessage(r) : conn.error());
    return StoreError::unavailable;
  }
  spdlog::error("postgres store: {} failed: {}", what, PQresultErrorMessage(r));
  return StoreError::internal;
}

// Rolls back unless committed; harmless on a connection that already broke.
class Transaction {
 public:
  explicit Transaction(db::pg::Connection& conn) : conn_(conn) {}
  ~Transaction() {
    if (open_) conn_.exec("ROLLBACK");
  }
  db::pg::Result begin() {
    auto r = conn_.exec("BEGIN");
    open_ = db::pg::ok(r.get());
    return r;
  }
  db::pg::Result commit() {
    auto r = conn_.exec("COMMIT");
    open_ = false;
    return r;
  }

 private:
  db::pg::Connection& conn_;
  bool open_ = false;
};

class PostgresOrderStore final : public OrderStore {
 public:
  explicit PostgresOrderStore(std::vector<std::unique_ptr<db::pg::Connection>> conns)
      : pool_(std::move(conns)) {}

  StoreResult<Created> create(const NewOrder& in, std::optional<IdempotencyKey> key,
                              std::string request_hash) override {
    auto lease = pool_.borrow();
    if (!lease) return StoreError::unavailable;
    db::pg::Connection& conn = **lease;
    if (!conn.ensure_connected()) return failure(conn, nullptr, "connect");

    const std::int64_t now = now_unix_ms();
    const std::string id = random_id20();
    Transaction tx(conn);
    if (auto r = tx.begin(); !db::pg::ok(r.get())) return failure(conn, r.get(), "BEGIN");
    if (key) {
      auto seen = claim_or_replay(conn, *key, request_hash, id);
      if (auto* err = std::get_if<StoreError>(&seen)) return *err;
      if (auto& original = std::get<std::optional<Created>>(seen)) return std::move(*original);
    }
    const std::string ts = format_iso8601_ms(now);
    auto inserted = conn.exec(
        "INSERT INTO orders VALUES ($1, $2, $3, $4, $5, $5) RETURNING " + std::string(kColumns),
        {id, text(in.amount), std::string(to_string(in.status)), in.category, ts});
    if (!db::pg::ok(inserted.get()) || PQntuples(inserted.get()) != 1)
      return failure(conn, inserted.get(), "insert order");
    auto order = read_order(inserted.get(), 0);
    if (!order) return StoreError::internal;
    if (auto r = tx.commit(); !db::pg::ok(r.get())) return failure(conn, r.get(), "COMMIT");
    return Created{std::move(*order), true};
  }

  StoreResult<Order> update(const std::string& id, const OrderPatch& patch) override {
    auto lease = pool_.borrow();
    if (!lease) return StoreError::unavailable;
    db::pg::Connection& conn = **lease;
    if (!conn.ensure_connected()) return failure(conn, nullptr, "connect");
    // One statement, so no explicit transaction; GREATEST keeps updated_at from moving
    // backwards if the wall clock does.
    auto r = conn.exec(
        "UPDATE orders SET status = COALESCE($2, status), "
        "amount = COALESCE($3::double precision, amount), "
        "updated_at = GREATEST($4::timestamptz, updated_at) WHERE id = $1 RETURNING " +
            std::string(kColumns),
        {id, patch.status ? Param(std::string(to_string(*patch.status))) : std::nullopt,
         patch.amount ? Param(text(*patch.amount)) : std::nullopt,
         format_iso8601_ms(now_unix_ms())});
    if (!db::pg::ok(r.get())) return failure(conn, r.get(), "update order");
    if (PQntuples(r.get()) == 0) return StoreError::not_found;
    auto order = read_order(r.get(), 0);
    if (!order) return StoreError::internal;
    return std::move(*order);
  }

  StoreResult<Order> get(const std::string& id) override {
    return read_with_retry([&](db::pg::Connection& conn) { return find(conn, id); });
  }

  StoreResult<OrderPage> list(const ListQuery& q) override {
    std::optional<CursorPosition> after;
    if (q.cursor) {
      after = decode_cursor(*q.cursor);
      if (!after) return StoreError::invalid_cursor;
    }
    const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 1000);
    std::string sql = "SELECT " + std::string(kColumns) + " FROM orders WHERE true";
    std::vector<Param> params;
    auto arg = [&](std::string value) {
      params.emplace_back(std::move(value));
      return "$" + std::to_string(params.size());
    };
    if (q.status) sql += " AND status = " + arg(std::string(to_string(*q.status)));
    if (q.category) sql += " AND category = " + arg(*q.category);
    if (q.from_ms) sql += " AND created_at >= " + arg(query_time(*q.from_ms)) + "::timestamptz";
    if (q.to_ms) sql += " AND created_at < " + arg(query_time(*q.to_ms)) + "::timestamptz";
    if (after) {
      sql +=
          " AND (created_at, id) < (" + arg(query_time(after->created_at_ms)) + "::timestamptz, ";
      sql += arg(after->id) + ")";
    }
    // One extra row tells whether another page follows.
    sql += " ORDER BY created_at DESC, id DESC LIMIT " + arg(std::to_string(limit + 1));

    return read_with_retry([&](db::pg::Connection& conn) -> StoreResult<OrderPage> {
      auto r = conn.exec(sql, params);
      if (!db::pg::ok(r.get())) return failure(conn, r.get(), "list orders");
      OrderPage page;
      for (int i = 0; i < PQntuples(r.get()); ++i) {
        auto order = read_order(r.get(), i);
        if (!order) return StoreError::internal;
        page.orders.push_back(std::move(*order));
      }
      if (page.orders.size() > limit) {
        page.orders.resize(limit);
        page.next_cursor = encode_cursor(page.orders.back().created_at_ms, page.orders.back().id);
      }
      return page;
    });
  }

 private:
  // Claims (subject, key) for the order `id` about to be inserted, or returns the order an
  // earlier request with this key created if this request repeats it.
  static StoreResult<std::optional<Created>> claim_or_replay(db::pg::Connection& conn,
                                                             const IdempotencyKey& key,
                                                             const std::string& request_hash,
                                                             const std::string& id) {
    // A key stored before keys had subjects counts only for the request it stored. Nothing
    // writes that table any more, so reading it first cannot race.
    auto legacy =
        conn.exec("SELECT order_id FROM idempotency_keys WHERE key = $1 AND request_hash = $2",
                  {key.key, request_hash});
    if (!db::pg::ok(legacy.get())) return failure(conn, legacy.get(), "read idempotency key");
    std::string original_id = PQntuples(legacy.get()) == 1 ? PQgetvalue(legacy.get(), 0, 0) : "";
    if (original_id.empty()) {
      // If another transaction holds the claim uncommitted, this waits for it.
      auto claim = conn.exec(
          "INSERT INTO subject_idempotency_keys (subject, key, request_hash, order_id) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT (subject, key) DO NOTHING",
          {key.subject, key.key, request_hash, id});
      if (!db::pg::ok(claim.get())) return failure(conn, claim.get(), "claim idempotency key");
      if (std::string_view(PQcmdTuples(claim.get())) != "0") return std::optional<Created>();
      auto seen = conn.exec(
          "SELECT request_hash, order_id FROM subject_idempotency_keys "
          "WHERE subject = $1 AND key = $2",
          {key.subject, key.key});
      if (!db::pg::ok(seen.get()) || PQntuples(seen.get()) != 1)
        return failure(conn, seen.get(), "read idempotency key");
      if (request_hash != PQgetvalue(seen.get(), 0, 0)) return StoreError::idempotency_conflict;
      original_id = PQgetvalue(seen.get(), 0, 1);
    }
    auto original = find(conn, original_id);
    if (auto* order = std::get_if<Order>(&original))
      return std::optional<Created>(Created{std::move(*order), false});
    return std::get<StoreError>(original);
  }

  static StoreResult<Order> find(db::pg::Connection& conn, const std::string& id) {
    auto r = conn.exec("SELECT " + std::string(kColumns) + " FROM orders WHERE id = $1", {id});
    if (!db::pg::ok(r.get())) return failure(conn, r.get(), "select order");
    if (PQntuples(r.get()) == 0) return StoreError::not_found;
    auto order = read_order(r.get(), 0);
    if (!order) return StoreError::internal;
    return std::move(*order);
  }

  // Reads are safe to repeat, so one that fails on a connection found broken (server
  // restarted, idle connection dropped) gets one more try on a reset connection.
  template <class F>
  auto read_with_retry(F&& read) -> decltype(read(std::declval<db::pg::Connection&>())) {
    auto lease = pool_.borrow();
    if (!lease) return StoreError::unavailable;
    db::pg::Connection& conn = **lease;
    for (int attempt = 0;; ++attempt) {
      if (!conn.ensure_connected()) return failure(conn, nullptr, "connect");
      auto result = read(conn);
      const auto* err = std::get_if<StoreError>(&result);
      if (!err || *err != StoreError::unavailable || !conn.broken() || attempt == 1) return result;
    }
  }

  ConnectionPool<db::pg::Connection> pool_;
};

}  // namespace

std::unique_ptr<OrderStore> open_postgres_store(const std::string& conninfo) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (!options) {
    std::string why = parse_error ? parse_error : "out of memory";
    PQfreemem(parse_error);
    throw std::invalid_argument("DATABASE_URL is not a valid PostgreSQL URL: " + why);
  }
  PQconninfoFree(options);

  std::vector<std::unique_ptr<db::pg::Connection>> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(std::make_unique<db::pg::Connection>(conninfo));
  // Connect one now so a wrong URL or a missing database fails at startup, not per request.
  auto& first = *conns.front();
  if (!first.ensure_connected())
    throw std::runtime_error("cannot connect to PostgreSQL: " + first.error());
  // Under the schema lock: the worker may be creating the same tables this instant.
  if (auto err = db::pg::run_schema_setup(first.native()))
    throw std::runtime_error("cannot create the PostgreSQL schema: " + *err);
  return std::make_unique<PostgresOrderStore>(std::move(conns));
}

}  // namespace pulseboard::store
