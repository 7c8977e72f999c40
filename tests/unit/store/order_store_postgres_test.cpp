// What only the PostgreSQL store promises: it survives its connections being dropped.
#include "db/postgres.hpp"
#include "store/order_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string_view>
#include <thread>
#include <vector>

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
    db::pg::Connection admin(url_);
    ASSERT_TRUE(admin.ensure_connected()) << admin.error();
    auto r = admin.exec(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND application_name = 'pulseboard-store-test'");
    ASSERT_TRUE(db::pg::ok(r.get())) << PQresultErrorMessage(r.get());
    // pg_terminate_backend only signals: wait until the sessions have ended.
    for (int i = 0; i < 500; ++i) {
      auto left = admin.exec(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
          "pid <> pg_backend_pid() AND application_name = 'pulseboard-store-test'");
      ASSERT_TRUE(db::pg::ok(left.get()));
      if (std::string_view(PQgetvalue(left.get(), 0, 0)) == "0") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "the store's sessions did not end";
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

TEST_F(PostgresStore, WritesAfterTheServerClosedIdleConnectionsSucceedAtOnce) {
  // Several pooled connections in use, then all closed by the server while idle (what a
  // PostgreSQL restart does): each write finds its connection closed before using it and
  // reconnects, so none fails. Before, each stale connection failed one request with 503.
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i)
    ids.push_back(
        std::get<Created>(store_->create({1, OrderStatus::pending, "pg-reconnect"}, {}, ""))
            .order.id);
  drop_connections();
  for (const auto& id : ids) {
    auto patched = store_->update(id, {OrderStatus::completed, {}});
    ASSERT_TRUE(std::holds_alternative<Order>(patched)) << to_string(std::get<StoreError>(patched));
    EXPECT_EQ(std::get<Order>(patched).status, OrderStatus::completed);
  }
  for (int i = 0; i < 8; ++i) {
    auto created = store_->create({2, OrderStatus::completed, "pg-reconnect"}, {}, "");
    ASSERT_TRUE(std::holds_alternative<Created>(created))
        << to_string(std::get<StoreError>(created));
  }
}

}  // namespace
}  // namespace pulseboard::store
