// Schema setup is safe when several processes run it at the same instant on a fresh database
// (an API and a worker started together): every one succeeds. Runs when PULSEBOARD_DATABASE_URL
// points at a PostgreSQL whose role may CREATE DATABASE (scripts/lib/postgres.sh: pg_start).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "db/postgres.hpp"
#include "store/order_store.hpp"

namespace pulseboard::store {
namespace {

constexpr int kRounds = 6;
constexpr int kConcurrent = 6;

// The URL with its database name replaced (a libpq URL: .../dbname[?params]).
std::string with_database(const std::string& url, const std::string& db) {
  const auto query = url.find('?');
  const std::string base = url.substr(0, query);
  const auto slash = base.rfind('/');
  return base.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

class PostgresSchemaConcurrency : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("PULSEBOARD_DATABASE_URL");
    if (!url || !*url) GTEST_SKIP() << "PULSEBOARD_DATABASE_URL is not set";
    url_ = url;
    admin_ = std::make_unique<db::pg::Connection>(url_);
    ASSERT_TRUE(admin_->ensure_connected()) << admin_->error();
  }

  // A fresh, empty database; dropped in TearDown.
  std::string fresh_database(int round) {
    const std::string name =
        "pb_schema_race_" + std::to_string(::getpid()) + "_" + std::to_string(round);
    admin_->exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    auto r = admin_->exec("CREATE DATABASE " + name);
    EXPECT_TRUE(db::pg::ok(r.get())) << PQresultErrorMessage(r.get());
    created_.push_back(name);
    return with_database(url_, name);
  }

  void TearDown() override {
    for (auto& name : created_) admin_->exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  std::string url_;
  std::unique_ptr<db::pg::Connection> admin_;
  std::vector<std::string> created_;
};

TEST_F(PostgresSchemaConcurrency, EverySessionSucceedsWhenAllStartAtOnceOnAFreshDatabase) {
  for (int round = 0; round < kRounds; ++round) {
    const std::string db = fresh_database(round);
    // Connect first, then release every thread at once: the race is in the DDL, not in connect.
    std::vector<std::unique_ptr<db::pg::Connection>> conns;
    for (int i = 0; i < kConcurrent; ++i) {
      conns.push_back(std::make_unique<db::pg::Connection>(db));
      ASSERT_TRUE(conns.back()->ensure_connected()) << conns.back()->error();
    }
    std::atomic<int> ready{0};
    std::vector<std::string> errors(kConcurrent);
    {
      std::vector<std::jthread> threads;
      for (int i = 0; i < kConcurrent; ++i)
        threads.emplace_back([&, i] {
          ready++;
          while (ready.load() < kConcurrent) std::this_thread::yield();
          if (auto err = db::pg::run_schema_setup(conns[i]->native())) errors[i] = *err;
        });
    }
    for (int i = 0; i < kConcurrent; ++i)
      EXPECT_EQ(errors[i], "") << "round " << round << ", session " << i;
    auto check = conns[0]->exec("SELECT relreplident FROM pg_class WHERE oid = 'orders'::regclass");
    ASSERT_TRUE(db::pg::ok(check.get()));
    EXPECT_STREQ(PQgetvalue(check.get(), 0, 0), "f");
  }
}

TEST_F(PostgresSchemaConcurrency, StoresOpenedAtOnceOnAFreshDatabaseAllWork) {
  for (int round = 0; round < kRounds; ++round) {
    const std::string db = fresh_database(100 + round);
    std::atomic<int> ready{0};
    std::vector<std::string> errors(kConcurrent);
    std::vector<std::unique_ptr<OrderStore>> stores(kConcurrent);
    {
      std::vector<std::jthread> threads;
      for (int i = 0; i < kConcurrent; ++i)
        threads.emplace_back([&, i] {
          ready++;
          while (ready.load() < kConcurrent) std::this_thread::yield();
          try {
            stores[i] = open_store(db);
          } catch (const std::exception& e) {
            errors[i] = e.what();
          }
        });
    }
    for (int i = 0; i < kConcurrent; ++i) {
      ASSERT_EQ(errors[i], "") << "round " << round << ", store " << i;
      auto created = stores[i]->create({1, OrderStatus::completed, "race"}, {}, "");
      EXPECT_TRUE(std::holds_alternative<Created>(created));
    }
  }
}

// A database written before idempotency keys had subjects (its tables as they were, one order
// and its key), opened by several stores at once: the migration is safe when processes start
// together, and the old key still replays the request that stored it (its hash covers the
// caller) without being in the way of anyone else's.
TEST_F(PostgresSchemaConcurrency, AnExistingDatabaseMigratesAtOnceAndKeepsItsKeys) {
  const std::string db = fresh_database(200);
  {
    db::pg::Connection conn(db);
    ASSERT_TRUE(conn.ensure_connected()) << conn.error();
    // Several statements in one string: PQexec runs them all (PQexecParams runs one).
    db::pg::Result r(PQexec(
        conn.native(),
        "CREATE TABLE orders (id TEXT PRIMARY KEY, amount DOUBLE PRECISION NOT NULL, status TEXT "
        "NOT NULL, category TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL, updated_at "
        "TIMESTAMPTZ NOT NULL);"
        "ALTER TABLE orders REPLICA IDENTITY FULL;"
        "CREATE INDEX orders_created ON orders(created_at, id);"
        "CREATE TABLE idempotency_keys (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, "
        "order_id TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now());"
        "INSERT INTO orders VALUES ('AAAAAAAAAAAAAAAAAAAA', 7, 'pending', 'old', now(), now());"
        "INSERT INTO idempotency_keys (key, request_hash, order_id) "
        "VALUES ('old-key', 'hash-of-alice', 'AAAAAAAAAAAAAAAAAAAA');"));
    ASSERT_TRUE(db::pg::ok(r.get())) << PQresultErrorMessage(r.get());
  }
  std::atomic<int> ready{0};
  std::vector<std::string> errors(kConcurrent);
  std::vector<std::unique_ptr<OrderStore>> stores(kConcurrent);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kConcurrent; ++i)
      threads.emplace_back([&, i] {
        ready++;
        while (ready.load() < kConcurrent) std::this_thread::yield();
        try {
          stores[i] = open_store(db);
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
  }
  for (int i = 0; i < kConcurrent; ++i) ASSERT_EQ(errors[i], "") << "store " << i;
  auto replay = std::get<Created>(stores[0]->create(
      {7, OrderStatus::pending, "old"}, IdempotencyKey{"alice", "old-key"}, "hash-of-alice"));
  EXPECT_FALSE(replay.created);
  EXPECT_EQ(replay.order.id, "AAAAAAAAAAAAAAAAAAAA");
  auto other = std::get<Created>(stores[1]->create(
      {7, OrderStatus::pending, "old"}, IdempotencyKey{"bob", "old-key"}, "hash-of-bob"));
  EXPECT_TRUE(other.created);
  EXPECT_NE(other.order.id, replay.order.id);
}

}  // namespace
}  // namespace pulseboard::store
