// What only the PostgreSQL store promises: it survives its connections being dropped.
#include "store/order_store.hpp"
#include "store/pg_db.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace pulseboard::store {
namespace {

class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("PULSEBOARD_DATABASE_URL");
    if (!url || !*url)
      GTEST_SKIP() << "PULSEBOARD_DATABASE_URL is not set: PostgreSQL tests skipped";
    url_ = url;
    // Tagged so that drop_connections() ends this store's sessions and nobody else's.
    url_ += url_.find('?') == std::string::npos ? '?' : '&';
    url_ += "application_name=pulseboard-store-test";
    store_ = open_store(url_);
  }

  // Ends every other session on the database, as a server restart or a proxy timeout would.
  void drop_connections() {
    pg::Connection admin(url_);
    ASSERT_TRUE(admin.ensure_connected()) << admin.error();
    auto r = admin.exec(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND application_name = 'pulseboard-store-test'");
    ASSERT_TRUE(pg::ok(r.get())) << PQresultErrorMessage(r.get());
  }

  std::string url_;
  std::unique_ptr<OrderStore> store_;
};

TEST_F(PostgresStore, ReadsReconnectTransparentlyAfterTheConnectionDrops) {
  auto created =
      std::get<Created>(store_->create({1, OrderStatus::pending, "pg-reconnect"}, {}, ""));
  drop_connections();
  auto again = store_->get(created.order.id);
  ASSERT_TRUE(std::holds_alternative<Order>(again)) << to_string(std::get<StoreError>(again));
  EXPECT_EQ(std::get<Order>(again), created.order);
}

TEST_F(PostgresStore, AWriteOnADroppedConnectionIsUnavailableThenTheNextSucceeds) {
  auto created =
      std::get<Created>(store_->create({1, OrderStatus::pending, "pg-reconnect"}, {}, ""));
  drop_connections();
  // Writes are not retried inside the store (the client decides, with an Idempotency-Key).
  auto first = store_->update(created.order.id, {OrderStatus::completed, {}});
  if (auto* err = std::get_if<StoreError>(&first)) {
    EXPECT_EQ(*err, StoreError::unavailable);
  }
  auto second = store_->update(created.order.id, {OrderStatus::completed, {}});
  ASSERT_TRUE(std::holds_alternative<Order>(second));
  EXPECT_EQ(std::get<Order>(second).status, OrderStatus::completed);
}

}  // namespace
}  // namespace pulseboard::store
