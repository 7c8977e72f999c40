// Live tests of the PostgreSQL source; they run when PULSEBOARD_DATABASE_URL points at a
// PostgreSQL 15 with wal_level=logical (scripts/lib/postgres.sh: pg_start).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <mutex>
#include <thread>

#include "broker/broker_memory.hpp"
#include "changes/change_source.hpp"
#include "changes/pgoutput_decoder.hpp"
#include "db/schema.hpp"
#include "store/order_store.hpp"
#include "worker/worker.hpp"

namespace pulseboard::worker {
namespace {
using namespace changes;
using namespace pipeline;
namespace json = boost::json;
using namespace std::chrono_literals;

class PostgresSource : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("PULSEBOARD_DATABASE_URL");
    if (!url || !*url)
      GTEST_SKIP() << "PULSEBOARD_DATABASE_URL is not set (source scripts/lib/postgres.sh and "
                      "run pg_start to run the PostgreSQL source tests)";
    url_ = url;
    conn_ = PQconnectdb(url);
    ASSERT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
    exec(std::string(db::postgres_schema_sql()));
    const std::string suffix = std::to_string(::getpid()) + "_" + std::to_string(counter_);
    options_.slot = "pb_test_slot_" + suffix;
    options_.publication = "pb_test_pub_" + suffix;
    prefix_ = "t" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + "-";
  }
  void TearDown() override {
    if (!conn_) return;
    // The server notices a closed replication connection a moment later.
    EXPECT_TRUE(eventually([&] { return !slot_active(); }));
    exec(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" +
        options_.slot + "'");
    exec("DROP PUBLICATION IF EXISTS " + options_.publication);
    exec(
        "DO $$ BEGIN IF to_regclass('worker_positions') IS NOT NULL THEN DELETE FROM "
        "worker_positions WHERE source LIKE 'postgres-slot:" +
        options_.slot + "@%'; END IF; END $$");
    exec("DELETE FROM orders WHERE id LIKE '" + prefix_ + "%'");
    PQfinish(conn_);
  }

  void exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    auto st = PQresultStatus(r);
    EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn_);
    PQclear(r);
  }
  std::string scalar(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::string out = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return out;
  }
  void insert(const std::string& id, double amount, const std::string& status) {
    exec("INSERT INTO orders VALUES ('" + prefix_ + id + "', " + std::to_string(amount) + ", '" +
         status + "', 'books', '2026-11-28T04:00:00.120Z', now())");
  }
  void set_status(const std::string& id, const std::string& status) {
    exec("UPDATE orders SET status = '" + status + "', updated_at = now() WHERE id = '" + prefix_ +
         id + "'");
  }

  struct Run {
    std::shared_ptr<broker::MemoryBroker> broker = std::make_shared<broker::MemoryBroker>();
    std::mutex mutex;
    std::vector<json::object> updates;
    std::unique_ptr<Worker> worker;
    std::jthread thread;
    std::size_t count() {
      std::lock_guard lock(mutex);
      return updates.size();
    }
  };
  void run_worker(Run& run, std::string pipeline_json = "") {
    run.broker->subscribe("socket-io-bridge", [&run](std::string_view, std::string_view p) {
      auto msg = json::parse(p).as_object();
      std::lock_guard lock(run.mutex);
      if (msg.at("event") == "metrics-update") run.updates.push_back(msg.at("data").as_object());
    });
    Worker::Options o;
    o.pipeline_json = pipeline_json;
    o.backoff_min = 10ms;
    auto source_options = options_;
    if (!pipeline_json.empty())
      source_options.pipeline = std::get<Pipeline>(Pipeline::parse(pipeline_json));
    run.worker =
        std::make_unique<Worker>(make_postgres_source(url_, source_options), run.broker, o);
    run.thread = std::jthread([&run](std::stop_token st) { run.worker->run(st); });
  }
  bool slot_active() {
    return scalar("SELECT active FROM pg_replication_slots WHERE slot_name = '" + options_.slot +
                  "'") == "t";
  }

  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds deadline = 15s) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }

  // Polls once and appends what came; a source error fails the test. True once any arrived.
  static bool poll_into(ChangeSource& source, std::vector<ChangeEvent>& got) {
    auto r = source.poll(100ms, 10);
    if (auto* e = std::get_if<SourceError>(&r))
      ADD_FAILURE() << e->message;
    else
      for (auto& ev : std::get<std::vector<ChangeEvent>>(r)) got.push_back(ev);
    return !got.empty();
  }

  static std::string order_id(const ChangeEvent& e) {
    return json::value_to<std::string>(e.document.at("fullDocument").at("_id"));
  }
  // Polls until the order `id` arrived; everything polled is appended to `got`.
  bool poll_until(ChangeSource& source, std::vector<ChangeEvent>& got, const std::string& id) {
    return eventually([&] {
      poll_into(source, got);
      return !got.empty() && order_id(got.back()) == prefix_ + id;
    });
  }
  // Puts `from`'s copy in the place of the test's slot (both inactive).
  void replace_slot_with(const std::string& from) {
    ASSERT_TRUE(eventually([&] { return !slot_active(); }));
    exec("SELECT pg_drop_replication_slot('" + options_.slot + "')");
    exec("SELECT pg_copy_logical_replication_slot('" + from + "', '" + options_.slot + "')");
    exec("SELECT pg_drop_replication_slot('" + from + "')");
  }

  std::string url_;
  PGconn* conn_ = nullptr;
  SourceOptions options_;
  std::string prefix_;
  static inline int counter_ = 0;
};

TEST_F(PostgresSource, PublishesCompletedOrdersAndResumesAfterTheAcknowledgedLsn) {
  Run first;
  run_worker(first);
  ASSERT_TRUE(eventually([&] { return slot_active(); }));
  EXPECT_EQ(scalar("SELECT pg_get_expr(prqual, prrelid) FROM pg_publication_rel r JOIN "
                   "pg_publication p ON p.oid = r.prpubid WHERE p.pubname = '" +
                   options_.publication + "'"),
            "(status = 'completed'::text)");
  insert("p1", 10, "pending");
  insert("c1", 129.5, "completed");
  set_status("p1", "completed");
  ASSERT_TRUE(eventually([&] { return first.count() >= 2; }));
  std::this_thread::sleep_for(300ms);  // nothing else may arrive
  first.thread.request_stop();
  first.thread.join();
  ASSERT_EQ(first.updates.size(), 2u);
  auto& c1 = first.updates[0];
  EXPECT_EQ(c1.at("id"), json::value(prefix_ + "c1"));
  EXPECT_EQ(c1.at("revenue"), 129.5);
  EXPECT_EQ(c1.at("category"), "books");
  EXPECT_EQ(c1.at("time"), "2026-11-28T04:00:00.120Z");
  EXPECT_TRUE(c1.at("eventId").as_string().starts_with("postgres:"));
  EXPECT_EQ(first.updates[1].at("id"), json::value(prefix_ + "p1"));
  EXPECT_EQ(first.updates[1].at("revenue").to_number<double>(), 10.0);  // JSON writes 10.0 as 10

  // The slot's confirmed position covers the last published commit.
  std::string last_id(first.updates[1].at("eventId").as_string());
  auto last_lsn = pgoutput::parse_lsn(last_id.substr(9, last_id.rfind(':') - 9));  // commit
  ASSERT_TRUE(last_lsn) << last_id;
  auto confirmed = pgoutput::parse_lsn(
      scalar("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" +
             options_.slot + "'"));
  ASSERT_TRUE(confirmed);
  EXPECT_GE(*confirmed, *last_lsn);

  insert("c2", 7, "completed");  // while no worker runs
  Run second;
  run_worker(second);
  ASSERT_TRUE(eventually([&] { return second.count() >= 1; }));
  std::this_thread::sleep_for(300ms);
  second.thread.request_stop();
  second.thread.join();
  ASSERT_EQ(second.updates.size(), 1u) << "the slot did not resume after the acknowledged LSN";
  EXPECT_EQ(second.updates[0].at("id"), json::value(prefix_ + "c2"));
}

TEST_F(PostgresSource, UnacknowledgedEventsAreStreamedAgain) {
  auto source = make_postgres_source(url_, options_);
  ASSERT_FALSE(source->start(std::nullopt));
  insert("a", 1, "completed");
  std::vector<ChangeEvent> got;
  ASSERT_TRUE(eventually([&] { return poll_into(*source, got); }));
  const std::string first_id = got[0].event_id;
  EXPECT_EQ(got[0].document.at("operationType"), "insert");
  EXPECT_EQ(got[0].document.at("fullDocument").at("status"), "completed");
  source->stop();  // no acknowledge

  got.clear();
  ASSERT_FALSE(source->start(std::nullopt));
  ASSERT_TRUE(eventually([&] {
    auto r = source->poll(100ms, 10);
    if (auto* v = std::get_if<std::vector<ChangeEvent>>(&r))
      for (auto& ev : *v) got.push_back(ev);
    return !got.empty();
  }));
  EXPECT_EQ(got[0].event_id, first_id);
  ASSERT_FALSE(source->acknowledge(got[0].position));
  source->stop();

  ASSERT_FALSE(source->start(std::nullopt));
  auto r = source->poll(500ms, 10);
  ASSERT_TRUE(std::holds_alternative<std::vector<ChangeEvent>>(r));
  EXPECT_TRUE(std::get<std::vector<ChangeEvent>>(r).empty());
  source->stop();
}

TEST_F(PostgresSource, WithoutPushDownEveryRowIsPublishedAndTheWorkerFilters) {
  Run run;
  run_worker(run, R"([{"$match":{"operationType":{"$in":["insert","update"]},
                                  "fullDocument.amount":{"$gte":100}}},
                      {"$project":{"id":"$fullDocument._id","revenue":"$fullDocument.amount"}}])");
  ASSERT_TRUE(eventually([&] { return slot_active(); }));
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_publication_rel r JOIN pg_publication p ON p.oid = "
                   "r.prpubid WHERE p.pubname = '" +
                   options_.publication + "' AND prqual IS NULL"),
            "1");
  insert("small", 5, "pending");
  insert("big", 500, "pending");
  ASSERT_TRUE(eventually([&] { return run.count() >= 1; }));
  std::this_thread::sleep_for(300ms);
  run.thread.request_stop();
  run.thread.join();
  ASSERT_EQ(run.updates.size(), 1u);
  EXPECT_EQ(run.updates[0].at("id"), json::value(prefix_ + "big"));
  EXPECT_EQ(run.updates[0].size(), 5u);  // id, revenue, eventId, committedAt, publishedAt
}

// An update-only pipeline selects a pending order updated to completed, as on SQLite and
// MongoDB. A row filter would have turned that update into an INSERT (its old row did not
// match), so it must not be pushed down.
TEST_F(PostgresSource, UpdateOnlyPipelineSeesAPendingOrderUpdatedToCompleted) {
  Run run;
  run_worker(run, R"([{"$match":{"operationType":"update","fullDocument.status":"completed"}},
                      {"$project":{"id":"$fullDocument._id","revenue":"$fullDocument.amount"}}])");
  ASSERT_TRUE(eventually([&] { return slot_active(); }));
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_publication_rel r JOIN pg_publication p ON p.oid = "
                   "r.prpubid WHERE p.pubname = '" +
                   options_.publication + "' AND prqual IS NULL"),
            "1");
  insert("inserted-completed", 3, "completed");  // an insert: not selected
  insert("later", 42, "pending");
  set_status("later", "completed");
  ASSERT_TRUE(eventually([&] { return run.count() >= 1; }));
  // A marker after both: once it is through, everything before it was decided.
  insert("marker", 1, "pending");
  set_status("marker", "completed");
  ASSERT_TRUE(eventually([&] { return run.count() >= 2; }));
  run.thread.request_stop();
  run.thread.join();
  ASSERT_EQ(run.updates.size(), 2u);
  EXPECT_EQ(run.updates[0].at("id"), json::value(prefix_ + "later"));
  EXPECT_EQ(run.updates[0].at("revenue").to_number<double>(), 42.0);
  EXPECT_EQ(run.updates[1].at("id"), json::value(prefix_ + "marker"));
}

// PostgreSQL 15 writes a slot to disk only when its xmin or restart LSN moved, so after a
// server restart the slot's confirmed position can be where it was long ago. Simulated here by
// putting back a copy of the slot taken before anything was acknowledged: the source resumes
// after what it acknowledged (stored in worker_positions), and streams again only the
// unacknowledged rest.
TEST_F(PostgresSource, ASlotThatForgotItsConfirmedPositionDoesNotReplayAcknowledgedChanges) {
  auto source = make_postgres_source(url_, options_);
  ASSERT_FALSE(source->start(std::nullopt));
  source->stop();
  ASSERT_TRUE(eventually([&] { return !slot_active(); }));
  const std::string old_slot = options_.slot + "_old";
  exec("SELECT pg_copy_logical_replication_slot('" + options_.slot + "', '" + old_slot + "')");

  ASSERT_FALSE(source->start(std::nullopt));
  for (int i = 0; i < 5; ++i) insert("o" + std::to_string(i), 10 + i, "completed");
  std::vector<ChangeEvent> got;
  ASSERT_TRUE(poll_until(*source, got, "o4"));
  ASSERT_EQ(got.size(), 5u);
  ASSERT_FALSE(source->acknowledge(got[2].position));  // o0..o2
  source->stop();
  const std::string key_filter =
      "FROM worker_positions WHERE source LIKE 'postgres-slot:" + options_.slot + "@%'";
  EXPECT_EQ(scalar("SELECT position " + key_filter), got[2].position);

  replace_slot_with(old_slot);
  ASSERT_FALSE(source->start(std::nullopt));
  insert("marker", 1, "completed");
  std::vector<ChangeEvent> again;
  ASSERT_TRUE(poll_until(*source, again, "marker"));
  std::vector<std::string> ids;
  for (auto& e : again) ids.push_back(order_id(e));
  EXPECT_EQ(ids, (std::vector<std::string>{prefix_ + "o3", prefix_ + "o4", prefix_ + "marker"}));
  EXPECT_EQ(source->counters().replayed, 2u) << "only the two unacknowledged come again";
  EXPECT_EQ(source->counters().skipped_acknowledged, 0u);
  ASSERT_FALSE(source->acknowledge(again.back().position));
  source->stop();

  // A stored position that is not in this server's WAL (a dump restored elsewhere) is ignored:
  // trusting it would skip everything up to it.
  ASSERT_TRUE(eventually([&] { return !slot_active(); }));
  exec("UPDATE worker_positions SET position = 'FFFFFF/0' WHERE source LIKE 'postgres-slot:" +
       options_.slot + "@%'");
  ASSERT_FALSE(source->start(std::nullopt));
  insert("after-bogus", 2, "completed");
  std::vector<ChangeEvent> after;
  ASSERT_TRUE(poll_until(*source, after, "after-bogus"));
  EXPECT_EQ(after.size(), 1u);
  source->stop();
}

// A new leader takes the slot from a holder that never let go (here: a source that is still
// streaming, as a dead leader's connection would look until wal_sender_timeout).
TEST_F(PostgresSource, StartTerminatesTheSlotsPreviousHolder) {
  auto old_leader = make_postgres_source(url_, options_);
  ASSERT_FALSE(old_leader->start(std::nullopt));
  ASSERT_TRUE(slot_active());
  const std::string old_pid = scalar(
      "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '" + options_.slot + "'");

  auto new_leader = make_postgres_source(url_, options_);
  auto err = new_leader->start(std::nullopt);
  ASSERT_FALSE(err) << err->message;
  EXPECT_NE(scalar("SELECT active_pid FROM pg_replication_slots WHERE slot_name = '" +
                   options_.slot + "'"),
            old_pid);
  insert("after-takeover", 5, "completed");
  std::vector<ChangeEvent> got;
  ASSERT_TRUE(eventually([&] { return poll_into(*new_leader, got); }));
  EXPECT_EQ(got[0].document.at("fullDocument").at("_id"), json::value(prefix_ + "after-takeover"));
  // The old holder's connection was cut.
  EXPECT_TRUE(
      eventually([&] { return std::holds_alternative<SourceError>(old_leader->poll(50ms, 10)); }));
  new_leader->stop();
  old_leader->stop();

  // Without take-over, a held slot refuses the second reader.
  auto holder = make_postgres_source(url_, options_);
  ASSERT_FALSE(holder->start(std::nullopt));
  auto polite_options = options_;
  polite_options.take_over_slot = false;
  auto polite = make_postgres_source(url_, polite_options);
  auto refused = polite->start(std::nullopt);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("active"), std::string::npos) << refused->message;
  holder->stop();
  polite->stop();
}

}  // namespace
}  // namespace pulseboard::worker
