// The SQLite order store: an embedded file in WAL mode. Each order write and its
// order_outbox row commit in one transaction, so the worker following the outbox sees every
// committed change exactly once and never a change that rolled back.
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "db/sqlite.hpp"
#include "store/connection_pool.hpp"
#include "store/cursor.hpp"
#include "store/order_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

namespace pulseboard::store {
namespace {

using db::sqlite::Statement;
using db::sqlite::WriteTransaction;

constexpr std::string_view kSelectOrder =
    "SELECT id, amount, status, category, created_at, updated_at FROM orders";

StoreError failure(sqlite3* db, int rc, std::string_view what) {
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return StoreError::unavailable;
  spdlog::error("sqlite store: {} failed: {} ({})", what, sqlite3_errmsg(db), rc);
  return StoreError::internal;
}

// Reads a row of kSelectOrder. A status the API never writes is an internal error.
std::optional<Order> read_order(const Statement& st) {
  auto status = parse_order_status(st.text(2));
  if (!status) return std::nullopt;
  return Order{st.text(0), st.real(1), *status, st.text(3), st.integer(4), st.integer(5)};
}

class SqliteOrderStore final : public OrderStore {
 public:
  explicit SqliteOrderStore(std::vector<std::unique_ptr<db::sqlite::Db>> dbs)
      : pool_(std::move(dbs)) {}

  StoreResult<Created> create(const NewOrder& in, std::optional<IdempotencyKey> key,
                              std::string request_hash) override {
    auto lease = pool_.borrow();
    if (!lease) return StoreError::unavailable;
    sqlite3* db = (*lease)->get();
    WriteTransaction tx(db);
    if (tx.begin_result() != SQLITE_OK) return failure(db, tx.begin_result(), "BEGIN");

    if (key) {
      // Inside the write transaction: no other create can claim the key between look and write.
      auto seen = replay(db, *key, request_hash);
      if (auto* err = std::get_if<StoreError>(&seen)) return *err;
      if (auto& original = std::get<std::optional<Created>>(seen)) return std::move(*original);
    }

    const std::int64_t now = now_unix_ms();
    Order order{random_id20(), in.amount, in.status, in.category, now, now};
    {
      Statement st(db, "INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      st.bind(1, order.id);
      st.bind(2, order.amount);
      st.bind(3, to_string(order.status));
      st.bind(4, order.category);
      st.bind(5, order.created_at_ms);
      st.bind(6, order.updated_at_ms);
      if (int rc = st.step(); rc != SQLITE_DONE) return failure(db, rc, "insert order");
    }
    if (int rc = append_outbox(db, "insert", order); rc != SQLITE_DONE)
      return failure(db, rc, "insert outbox");
    if (key) {
      Statement st(db, "INSERT INTO subject_idempotency_keys VALUES (?1, ?2, ?3, ?4, ?5)");
      st.bind(1, key->subject);
      st.bind(2, key->key);
      st.bind(3, request_hash);
      st.bind(4, order.id);
      st.bind(5, now);
      if (int rc = st.step(); rc != SQLITE_DONE) return failure(db, rc, "insert idempotency key");
    }
    if (int rc = tx.commit(); rc != SQLITE_OK) return failure(db, rc, "COMMIT");
    return Created{std::move(order), true};
  }

  StoreResult<Order> update(const std::string& id, const OrderPatch& patch) override {
    auto lease = pool_.borrow();
    if (!lease) return StoreError::unavailable;
    sqlite3* db = (*lease)->get();
    WriteTransaction tx(db);
    if (tx.begin_result() != SQLITE_OK) return failure(db, tx.begin_result(), "BEGIN");

    auto current = find(db, id);
    auto* order = std::get_if<Order>(&current);
    if (!order) return current;
    if (patch.status) order->status = *patch.status;
    if (patch.amount) order->amount = *patch.amount;
    // Never move updated_at backwards, even if the wall clock does.
    order->updated_at_ms = std::max(now_unix_ms(), order->updated_at_ms);
    {
      Statement st(db, "UPDATE orders SET amount = ?1, status = ?2, updated_at = ?3 WHERE id = ?4");
      st.bind(1, order->amount);
      st.bind(2, to_string(order->status));
      st.bind(3, order->updated_at_ms);
      st.bind(4, order->id);
      if (int rc = st.step(); rc != SQLITE_DONE) return failure(db, rc, "update order");
    }
    if (int rc = append_outbox(db, "update", *order); rc != SQLITE_DONE)
      return failure(db, rc, "insert outbox");
    if (int rc = tx.commit(); rc != SQLITE_OK) return failure(db, rc, "COMMIT");
    return current;
  }

  StoreResult<Order> get(const std::string& id) override {
    auto lease = pool_.borrow();
    if (!lease) return StoreError::unavailable;
    return find((*lease)->get(), id);
  }

  StoreResult<OrderPage> list(const ListQuery& q) override {
    std::optional<CursorPosition> after;
    if (q.cursor) {
      after = decode_cursor(*q.cursor);
      if (!after) return StoreError::invalid_cursor;
    }
    const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 1000);

    std::string sql(kSelectOrder);
    sql += " WHERE 1 = 1";
    if (q.status) sql += " AND status = ?1";
    if (q.category) sql += " AND category = ?2";
    if (q.from_ms) sql += " AND created_at >= ?3";
    if (q.to_ms) sql += " AND created_at < ?4";
    if (after) sql += " AND (created_at, id) < (?5, ?6)";
    sql += " ORDER BY created_at DESC, id DESC LIMIT ?7";

    auto lease = pool_.borrow();
    if (!lease) return StoreError::unavailable;
    sqlite3* db = (*lease)->get();
    Statement st(db, sql);
    if (!st.ok()) return failure(db, SQLITE_ERROR, "prepare list");
    if (q.status) st.bind(1, to_string(*q.status));
    if (q.category) st.bind(2, *q.category);
    if (q.from_ms) st.bind(3, *q.from_ms);
    if (q.to_ms) st.bind(4, *q.to_ms);
    if (after) {
      st.bind(5, after->created_at_ms);
      st.bind(6, after->id);
    }
    // One extra row tells whether another page follows.
    st.bind(7, static_cast<std::int64_t>(limit + 1));

    OrderPage page;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      auto order = read_order(st);
      if (!order) return StoreError::internal;
      page.orders.push_back(std::move(*order));
    }
    if (rc != SQLITE_DONE) return failure(db, rc, "list");
    if (page.orders.size() > limit) {
      page.orders.resize(limit);
      page.next_cursor = encode_cursor(page.orders.back().created_at_ms, page.orders.back().id);
    }
    return page;
  }

 private:
  // The order an earlier request with this key created, if this request repeats it; nullopt
  // when the key is new for this subject.
  static StoreResult<std::optional<Created>> replay(sqlite3* db, const IdempotencyKey& key,
                                                    const std::string& request_hash) {
    std::string order_id;
    {
      // A key stored before keys had subjects counts only for the request it stored.
      Statement st(db,
                   "SELECT order_id FROM idempotency_keys WHERE key = ?1 AND request_hash = ?2");
      st.bind(1, key.key);
      st.bind(2, request_hash);
      const int rc = st.step();
      if (rc == SQLITE_ROW) order_id = st.text(0);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return failure(db, rc, "idempotency lookup");
    }
    if (order_id.empty()) {
      Statement st(db,
                   "SELECT request_hash, order_id FROM subject_idempotency_keys "
                   "WHERE subject = ?1 AND key = ?2");
      st.bind(1, key.subject);
      st.bind(2, key.key);
      const int rc = st.step();
      if (rc == SQLITE_DONE) return std::optional<Created>();
      if (rc != SQLITE_ROW) return failure(db, rc, "idempotency lookup");
      if (st.text(0) != request_hash) return StoreError::idempotency_conflict;
      order_id = st.text(1);
    }
    auto original = find(db, order_id);
    if (auto* order = std::get_if<Order>(&original))
      return std::optional<Created>(Created{std::move(*order), false});
    return std::get<StoreError>(original);
  }

  static StoreResult<Order> find(sqlite3* db, const std::string& id) {
    Statement st(db, std::string(kSelectOrder) + " WHERE id = ?1");
    st.bind(1, id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) return StoreError::not_found;
    if (rc != SQLITE_ROW) return failure(db, rc, "select order");
    auto order = read_order(st);
    if (!order) return StoreError::internal;
    return std::move(*order);
  }

  static int append_outbox(sqlite3* db, std::string_view operation, const Order& order) {
    Statement st(db,
                 "INSERT INTO order_outbox (operation, order_id, document, committed_at) "
                 "VALUES (?1, ?2, ?3, ?4)");
    st.bind(1, operation);
    st.bind(2, order.id);
    st.bind(3, to_json_string(order));
    st.bind(4, now_unix_ms());
    return st.step();
  }

  ConnectionPool<db::sqlite::Db> pool_;
};

}  // namespace

std::unique_ptr<OrderStore> open_sqlite_store(const std::string& path) {
  // A private in-memory database exists once per connection, so it gets exactly one.
  const std::size_t size = path == ":memory:" ? 1 : 4;
  std::vector<std::unique_ptr<db::sqlite::Db>> dbs;
  for (std::size_t i = 0; i < size; ++i) {
    std::string error;
    auto db = db::sqlite::open(path, error);
    if (!db) throw std::runtime_error("cannot open SQLite database '" + path + "': " + error);
    if (i == 0)
      if (auto err = db::sqlite::run_schema_setup(db.get(), path))
        throw std::runtime_error("cannot create the SQLite schema in '" + path + "': " + *err);
    dbs.push_back(std::make_unique<db::sqlite::Db>(std::move(db)));
  }
  return std::make_unique<SqliteOrderStore>(std::move(dbs));
}

}  // namespace pulseboard::store
