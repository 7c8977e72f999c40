// An API (the store's schema) and workers (schema, publication, slot) started at the same
// instant on a fresh PostgreSQL database: every one of them starts. Runs when
// PULSEBOARD_DATABASE_URL points at a PostgreSQL 15 with wal_level=logical whose role may
// CREATE DATABASE (scripts/lib/postgres.sh: pg_start).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "changes/change_source.hpp"
#include "store/order_store.hpp"

namespace pulseboard::changes {
namespace {

std::string with_database(const std::string& url, const std::string& db) {
  const auto query = url.find('?');
  const std::string base = url.substr(0, query);
  return base.substr(0, base.rfind('/') + 1) + db +
         (query == std::string::npos ? "" : url.substr(query));
}

void admin(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, sql.c_str());
  const auto st = PQresultStatus(r);
  EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) << sql << ": " << PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
}

TEST(PostgresStartRace, ApiAndWorkersStartingAtOnceOnAFreshDatabaseAllStart) {
  const char* env = std::getenv("PULSEBOARD_DATABASE_URL");
  if (!env || !*env) GTEST_SKIP() << "PULSEBOARD_DATABASE_URL is not set";
  const std::string url = env;
  constexpr int kRounds = 5;
  constexpr int kStores = 3;
  constexpr int kSources = 3;  // one slot each, one shared publication
  for (int round = 0; round < kRounds; ++round) {
    const std::string name =
        "pb_start_race_" + std::to_string(::getpid()) + "_" + std::to_string(round);
    admin(url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    admin(url, "CREATE DATABASE " + name);
    const std::string db = with_database(url, name);

    std::vector<std::unique_ptr<ChangeSource>> sources;
    for (int i = 0; i < kSources; ++i) {
      SourceOptions o;
      o.publication = "pulseboard_orders";
      o.slot = "pb_race_slot_" + std::to_string(i);
      std::string error;
      sources.push_back(open_change_source(db, o, &error));
      ASSERT_TRUE(sources.back()) << error;
    }
    std::vector<std::string> errors(kStores + kSources);
    std::vector<std::unique_ptr<store::OrderStore>> stores(kStores);
    std::atomic<int> ready{0};
    {
      std::vector<std::jthread> threads;
      for (int i = 0; i < kStores + kSources; ++i)
        threads.emplace_back([&, i] {
          ready++;
          while (ready.load() < kStores + kSources) std::this_thread::yield();
          if (i < kStores) {
            try {
              stores[i] = store::open_store(db);
            } catch (const std::exception& e) {
              errors[i] = e.what();
            }
          } else if (auto err = sources[i - kStores]->start(std::nullopt)) {
            errors[i] = err->message;
          }
        });
    }
    for (int i = 0; i < kStores + kSources; ++i)
      EXPECT_EQ(errors[i], "") << "round " << round << (i < kStores ? ", store " : ", source ")
                               << i;
    for (auto& s : sources) s->stop();
    sources.clear();
    stores.clear();
    // A database with logical slots cannot be dropped; the server frees a slot a moment after
    // its replication connection closed.
    for (int i = 0; i < 100; ++i) {
      PGconn* c = PQconnectdb(db.c_str());
      PGresult* r = PQexec(c, "SELECT count(*) FROM pg_replication_slots WHERE active");
      const bool idle =
          PQresultStatus(r) == PGRES_TUPLES_OK && std::string(PQgetvalue(r, 0, 0)) == "0";
      PQclear(r);
      PQfinish(c);
      if (idle) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    admin(db,
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = "
          "current_database()");
    admin(url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }
}

}  // namespace
}  // namespace pulseboard::changes
