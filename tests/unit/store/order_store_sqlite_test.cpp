// What only the SQLite store promises: the outbox the worker follows.
#include "db/schema.hpp"
#include "db/sqlite.hpp"
#include "store/order_store.hpp"
#include "store_backends.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <thread>

namespace pulseboard::store {
namespace {

struct OutboxRow {
  std::int64_t position;
  std::string operation, order_id, document;
  std::int64_t committed_at;
};

class SqliteOutbox : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store("sqlite:" + file_.path());
    std::string error;
    db_ = db::sqlite::open(file_.path(), error);
    ASSERT_TRUE(db_) << error;
  }

  std::vector<OutboxRow> outbox() {
    db::sqlite::Statement st(db_.get(), "SELECT * FROM order_outbox ORDER BY position");
    std::vector<OutboxRow> rows;
    while (st.step() == SQLITE_ROW)
      rows.push_back({st.integer(0), st.text(1), st.text(2), st.text(3), st.integer(4)});
    return rows;
  }

  std::int64_t count(const char* table) {
    db::sqlite::Statement st(db_.get(), std::string("SELECT count(*) FROM ") + table);
    EXPECT_EQ(st.step(), SQLITE_ROW);
    return st.integer(0);
  }

  testing::TempSqliteFile file_;
  std::unique_ptr<OrderStore> store_;
  db::sqlite::Db db_;
};

TEST_F(SqliteOutbox, EveryMutationAppendsItsDocumentInOrder) {
  auto created = std::get<Created>(store_->create({3, OrderStatus::pending, "toys"}, {}, ""));
  auto updated = std::get<Order>(store_->update(created.order.id, {OrderStatus::completed, {}}));
  auto rows = outbox();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_LT(rows[0].position, rows[1].position);
  EXPECT_EQ(rows[0].operation, "insert");
  EXPECT_EQ(rows[1].operation, "update");
  EXPECT_EQ(rows[0].order_id, created.order.id);
  EXPECT_EQ(order_from_json(boost::json::parse(rows[0].document)), created.order);
  EXPECT_EQ(order_from_json(boost::json::parse(rows[1].document)), updated);
  EXPECT_GE(rows[1].committed_at, rows[0].committed_at);
}

TEST_F(SqliteOutbox, ReadsAndRejectedWritesAppendNothing) {
  auto created = std::get<Created>(
      store_->create({3, OrderStatus::pending, "toys"}, IdempotencyKey{"sub", "k"}, "h1"));
  store_->get(created.order.id);
  store_->list({});
  store_->create({3, OrderStatus::pending, "toys"}, IdempotencyKey{"sub", "k"}, "h1");  // replay
  store_->create({4, OrderStatus::pending, "toys"}, IdempotencyKey{"sub", "k"}, "h2");  // conflict
  store_->update("no-such-order-000000", {OrderStatus::completed, {}});
  EXPECT_EQ(outbox().size(), 1u);
}

// The order row and its outbox row commit together: when the outbox insert fails, the order
// is not written either (and the idempotency key is not consumed).
TEST_F(SqliteOutbox, OrderAndOutboxRowCommitInOneTransaction) {
  ASSERT_EQ(sqlite3_exec(db_.get(),
                         "CREATE TRIGGER refuse BEFORE INSERT ON order_outbox "
                         "BEGIN SELECT RAISE(ABORT, 'outbox refused'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto r = store_->create({3, OrderStatus::pending, "toys"}, IdempotencyKey{"sub", "key"}, "h");
  ASSERT_TRUE(std::holds_alternative<StoreError>(r));
  EXPECT_EQ(count("orders"), 0);
  EXPECT_EQ(count("subject_idempotency_keys"), 0);

  sqlite3_exec(db_.get(), "DROP TRIGGER refuse", nullptr, nullptr, nullptr);
  auto created = std::get<Created>(
      store_->create({3, OrderStatus::pending, "toys"}, IdempotencyKey{"sub", "key"}, "h"));
  EXPECT_TRUE(created.created);
  sqlite3_exec(db_.get(),
               "CREATE TRIGGER refuse BEFORE INSERT ON order_outbox "
               "BEGIN SELECT RAISE(ABORT, 'outbox refused'); END;",
               nullptr, nullptr, nullptr);
  EXPECT_TRUE(std::holds_alternative<StoreError>(
      store_->update(created.order.id, {OrderStatus::cancelled, 99.0})));
  auto unchanged = std::get<Order>(store_->get(created.order.id));
  EXPECT_EQ(unchanged, created.order);
}

TEST_F(SqliteOutbox, SchemaIsIdempotentAndUsesWal) {
  EXPECT_EQ(sqlite3_exec(db_.get(), std::string(db::sqlite_schema_sql()).c_str(), nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  db::sqlite::Statement st(db_.get(), "PRAGMA journal_mode");
  ASSERT_EQ(st.step(), SQLITE_ROW);
  EXPECT_EQ(st.text(0), "wal");
  EXPECT_EQ(count("worker_positions"), 0);
}

// A database written before idempotency keys had subjects: its tables as they were, with one
// order and its key. Opening it adds what is missing; the old key still replays the request that
// stored it (its hash covers the caller) and is not in the way of anyone else's.
TEST(SqliteMigration, AnExistingDatabaseKeepsItsKeys) {
  testing::TempSqliteFile file;
  {
    std::string error;
    auto db = db::sqlite::open(file.path(), error);
    ASSERT_TRUE(db) << error;
    const char* before =
        "CREATE TABLE orders (id TEXT PRIMARY KEY, amount REAL NOT NULL, status TEXT NOT NULL, "
        "category TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
        "CREATE TABLE order_outbox (position INTEGER PRIMARY KEY AUTOINCREMENT, operation TEXT "
        "NOT NULL, order_id TEXT NOT NULL, document TEXT NOT NULL, committed_at INTEGER NOT NULL);"
        "CREATE TABLE idempotency_keys (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, "
        "order_id TEXT NOT NULL, created_at INTEGER NOT NULL);"
        "INSERT INTO orders VALUES ('AAAAAAAAAAAAAAAAAAAA', 7, 'pending', 'old', 1, 1);"
        "INSERT INTO idempotency_keys VALUES ('old-key', 'hash-of-alice', 'AAAAAAAAAAAAAAAAAAAA', "
        "1);";
    ASSERT_EQ(sqlite3_exec(db.get(), before, nullptr, nullptr, nullptr), SQLITE_OK);
  }
  auto store = open_store("sqlite:" + file.path());
  auto replay = std::get<Created>(store->create(
      {7, OrderStatus::pending, "old"}, IdempotencyKey{"alice", "old-key"}, "hash-of-alice"));
  EXPECT_FALSE(replay.created);
  EXPECT_EQ(replay.order.id, "AAAAAAAAAAAAAAAAAAAA");
  auto other = std::get<Created>(store->create({7, OrderStatus::pending, "old"},
                                               IdempotencyKey{"bob", "old-key"}, "hash-of-bob"));
  EXPECT_TRUE(other.created);
  EXPECT_NE(other.order.id, replay.order.id);
}

// Another process holds the fresh file locked for longer than busy_timeout (5 s), as a
// process creating the schema under load may: opening waits it out instead of failing with
// "database is locked".
TEST(SqliteStartup, OpeningWaitsOutALockHeldLongerThanBusyTimeout) {
  testing::TempSqliteFile file;
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(file.path().c_str(), &holder), SQLITE_OK);
  db::sqlite::Db holder_db(holder);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN EXCLUSIVE; CREATE TABLE t (x);", nullptr, nullptr, nullptr),
            SQLITE_OK);
  const auto hold = std::chrono::milliseconds(db::sqlite::kBusyTimeoutMs + 1500);
  std::jthread release([&] {
    std::this_thread::sleep_for(hold);
    sqlite3_exec(holder, "COMMIT", nullptr, nullptr, nullptr);
  });
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<OrderStore> store;
  EXPECT_NO_THROW(store = open_store("sqlite:" + file.path()));
  EXPECT_GE(std::chrono::steady_clock::now() - start, hold - std::chrono::milliseconds(100));
  ASSERT_TRUE(store);
  EXPECT_TRUE(
      std::holds_alternative<Created>(store->create({1, OrderStatus::pending, "x"}, {}, "")));
}

}  // namespace
}  // namespace pulseboard::store
