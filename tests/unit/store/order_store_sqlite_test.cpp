// What only the SQLite store promises: the outbox the worker follows.
#include "store/order_store.hpp"
#include "store/sqlite_db.hpp"
#include "store_backends.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

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
    db_ = sqlite::open(file_.path(), error);
    ASSERT_TRUE(db_) << error;
  }

  std::vector<OutboxRow> outbox() {
    sqlite::Statement st(db_.get(), "SELECT * FROM order_outbox ORDER BY position");
    std::vector<OutboxRow> rows;
    while (st.step() == SQLITE_ROW)
      rows.push_back({st.integer(0), st.text(1), st.text(2), st.text(3), st.integer(4)});
    return rows;
  }

  std::int64_t count(const char* table) {
    sqlite::Statement st(db_.get(), std::string("SELECT count(*) FROM ") + table);
    EXPECT_EQ(st.step(), SQLITE_ROW);
    return st.integer(0);
  }

  testing::TempSqliteFile file_;
  std::unique_ptr<OrderStore> store_;
  sqlite::Db db_;
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
  auto created = std::get<Created>(store_->create({3, OrderStatus::pending, "toys"}, "k", "h1"));
  store_->get(created.order.id);
  store_->list({});
  store_->create({3, OrderStatus::pending, "toys"}, "k", "h1");  // replay
  store_->create({4, OrderStatus::pending, "toys"}, "k", "h2");  // conflict
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
  auto r = store_->create({3, OrderStatus::pending, "toys"}, "key", "h");
  ASSERT_TRUE(std::holds_alternative<StoreError>(r));
  EXPECT_EQ(count("orders"), 0);
  EXPECT_EQ(count("idempotency_keys"), 0);

  sqlite3_exec(db_.get(), "DROP TRIGGER refuse", nullptr, nullptr, nullptr);
  auto created = std::get<Created>(store_->create({3, OrderStatus::pending, "toys"}, "key", "h"));
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
  EXPECT_EQ(
      sqlite3_exec(db_.get(), std::string(sqlite_schema_sql()).c_str(), nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite::Statement st(db_.get(), "PRAGMA journal_mode");
  ASSERT_EQ(st.step(), SQLITE_ROW);
  EXPECT_EQ(st.text(0), "wal");
  EXPECT_EQ(count("worker_positions"), 0);
}

}  // namespace
}  // namespace pulseboard::store
