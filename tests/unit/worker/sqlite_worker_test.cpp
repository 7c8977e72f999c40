// End to end over the SQLite outbox: the store's schema (db::sqlite_schema_sql()), orders and
// outbox rows written with plain sqlite3 (as the store writes them, with chosen createdAt), the
// Worker publishing to an in-process broker, and restarts.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "broker/broker_memory.hpp"
#include "changes/change_source.hpp"
#include "common/clock.hpp"
#include "db/schema.hpp"
#include "eventually.hpp"
#include "scratch_dir.hpp"
#include "store/order_store.hpp"
#include "worker/worker.hpp"

namespace pulseboard::worker {
namespace {
using namespace changes;
using namespace pipeline;
namespace json = boost::json;
using namespace std::chrono_literals;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Database {
 public:
  explicit Database(std::filesystem::path path) : path_(std::move(path)) {
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL;");
    exec(std::string(db::sqlite_schema_sql()));
  }
  ~Database() { sqlite3_close(db_); }

  void exec(const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "") << " in " << sql;
    sqlite3_free(err);
  }

  // Writes the order and its outbox row in one transaction, as the store does.
  void write(const std::string& operation, const std::string& id, double amount,
             const std::string& status, const std::string& category, std::int64_t created) {
    const std::int64_t now = now_ms();
    json::object doc{{"id", id},
                     {"amount", amount},
                     {"status", status},
                     {"category", category},
                     {"createdAt", format_iso8601_ms(created)},
                     {"updatedAt", format_iso8601_ms(now)}};
    char sql[1024];
    std::snprintf(sql, sizeof sql,
                  "BEGIN; INSERT INTO orders VALUES('%s', %.2f, '%s', '%s', %lld, %lld) "
                  "ON CONFLICT(id) DO UPDATE SET amount=excluded.amount, status=excluded.status, "
                  "updated_at=excluded.updated_at; "
                  "INSERT INTO order_outbox(operation, order_id, document, committed_at) "
                  "VALUES('%s', '%s', '%s', %lld); COMMIT;",
                  id.c_str(), amount, status.c_str(), category.c_str(), (long long)created,
                  (long long)now, operation.c_str(), id.c_str(), json::serialize(doc).c_str(),
                  (long long)now);
    exec(sql);
  }

  std::string stored_position() {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, "SELECT position FROM worker_positions WHERE source='sqlite-outbox'",
                       -1, &s, nullptr);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW)
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return out;
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

// Collects what a gateway would receive on the bridge channel.
struct Bridge {
  std::mutex mutex;
  std::vector<json::object> updates;
  std::vector<json::object> snapshots;

  void attach(broker::Broker& b) {
    b.subscribe("socket-io-bridge", [this](std::string_view, std::string_view payload) {
      auto msg = json::parse(payload).as_object();
      std::lock_guard lock(mutex);
      (msg.at("event") == "metrics-snapshot" ? snapshots : updates).push_back(std::move(msg));
    });
  }
  std::size_t update_count() {
    std::lock_guard lock(mutex);
    return updates.size();
  }
  std::size_t snapshot_count() {
    std::lock_guard lock(mutex);
    return snapshots.size();
  }
};

// Fails the first `failures` publishes, then delegates.
class FlakyBroker final : public broker::Broker {
 public:
  FlakyBroker(std::shared_ptr<broker::Broker> inner, int failures)
      : inner_(std::move(inner)), failures_(failures) {}
  void publish(std::string c, std::string p, broker::PublishDone done) override {
    if (failures_-- > 0) {
      done(std::make_error_code(std::errc::connection_reset));
      return;
    }
    inner_->publish(std::move(c), std::move(p), std::move(done));
  }
  void subscribe(std::string c, broker::MessageHandler h) override { inner_->subscribe(c, h); }
  void psubscribe(std::string p, broker::MessageHandler h) override { inner_->psubscribe(p, h); }
  void unsubscribe(std::string c) override { inner_->unsubscribe(c); }
  bool ready() const override { return true; }

 private:
  std::shared_ptr<broker::Broker> inner_;
  std::atomic<int> failures_;
};

using testing::eventually;

class SqliteWorker : public ::testing::Test {
 protected:
  void SetUp() override { db_ = std::make_unique<Database>(dir_.path() / "pulseboard.db"); }
  void TearDown() override { db_.reset(); }

  std::unique_ptr<ChangeSource> source() {
    std::string error;
    auto s = open_change_source("sqlite://" + db_->path().string(), SourceOptions{}, &error);
    EXPECT_TRUE(s) << error;
    return s;
  }

  Worker::Options options(std::size_t batch = 256) {
    Worker::Options o;
    o.batch = batch;
    o.snapshot_interval = 50ms;
    o.backoff_min = 5ms;
    o.backoff_max = 20ms;
    return o;
  }

  testing::ScratchDir dir_{"pulseboard-worker"};
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteWorker, PublishesCompletedOrdersWithTheProjectedFields) {
  auto broker = std::make_shared<broker::MemoryBroker>();
  Bridge bridge;
  bridge.attach(*broker);
  const std::int64_t created = now_ms() - 1000;
  db_->write("insert", "pendingOrder00000001", 10, "pending", "books", created);
  db_->write("insert", "completedOrder000002", 129.5, "completed", "electronics", created);
  db_->write("update", "pendingOrder00000001", 10, "completed", "books", created);

  Worker worker(source(), broker, options());
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  ASSERT_TRUE(
      eventually([&] { return bridge.update_count() >= 2 && bridge.snapshot_count() >= 1; }));
  thread.request_stop();
  thread.join();

  std::lock_guard lock(bridge.mutex);
  ASSERT_EQ(bridge.updates.size(), 2u);  // the pending insert is not published
  auto& first = bridge.updates[0];
  EXPECT_EQ(first.at("room"), "live-metrics");
  EXPECT_EQ(first.at("event"), "metrics-update");
  auto& data = first.at("data").as_object();
  EXPECT_EQ(data.size(), 7u) << json::serialize(data);
  EXPECT_EQ(data.at("id"), "completedOrder000002");
  EXPECT_EQ(data.at("revenue"), 129.5);
  EXPECT_EQ(data.at("category"), "electronics");
  EXPECT_EQ(data.at("time"), json::value(format_iso8601_ms(created)));
  EXPECT_EQ(data.at("eventId"), "sqlite:2");
  EXPECT_GE(data.at("publishedAt").as_int64(), data.at("committedAt").as_int64());
  auto& second = bridge.updates[1].at("data").as_object();
  EXPECT_EQ(second.at("id"), "pendingOrder00000001");
  EXPECT_EQ(second.at("eventId"), "sqlite:3");

  auto& snapshot = bridge.snapshots.back();
  EXPECT_EQ(snapshot.at("retain"), true);
  EXPECT_EQ(snapshot.at("data").at("totals").at("orders"), 2);
  EXPECT_EQ(snapshot.at("data").at("totals").at("revenue"), 139.5);
  EXPECT_EQ(snapshot.at("data").at("recent").as_array().size(), 2u);

  EXPECT_EQ(db_->stored_position(), "3");
  EXPECT_EQ(worker.stats().published, 2u);
}

TEST_F(SqliteWorker, FailedPublishIsRetriedBeforeThePositionMoves) {
  auto memory = std::make_shared<broker::MemoryBroker>();
  Bridge bridge;
  bridge.attach(*memory);
  db_->write("insert", "o1", 5, "completed", "c", now_ms());
  auto flaky = std::make_shared<FlakyBroker>(memory, 3);

  Worker worker(source(), flaky, options());
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  ASSERT_TRUE(eventually([&] { return bridge.update_count() >= 1; }));
  ASSERT_TRUE(eventually([&] { return db_->stored_position() == "1"; }));
  thread.request_stop();
  thread.join();
  EXPECT_EQ(worker.stats().publish_failures, 3u);
  std::lock_guard lock(bridge.mutex);
  ASSERT_EQ(bridge.updates.size(), 1u);
  EXPECT_EQ(bridge.updates[0].at("data").at("eventId"), "sqlite:1");
}

TEST_F(SqliteWorker, RestartResumesFromTheStoredPositionWithoutLoss) {
  auto broker = std::make_shared<broker::MemoryBroker>();
  Bridge bridge;
  bridge.attach(*broker);
  constexpr int kOrders = 60;
  constexpr std::size_t kBatch = 4;
  std::jthread writer([&] {
    for (int i = 0; i < kOrders; ++i) {
      db_->write("insert", "order" + std::to_string(i), 1 + i, "completed", "c", now_ms());
      std::this_thread::sleep_for(3ms);
    }
  });

  {
    Worker first(source(), broker, options(kBatch));
    std::jthread thread([&](std::stop_token st) { first.run(st); });
    ASSERT_TRUE(eventually([&] { return bridge.update_count() >= 10; }));
    thread.request_stop();  // mid-stream
  }
  const std::size_t before_restart = bridge.update_count();
  writer.join();
  EXPECT_LT(before_restart, static_cast<std::size_t>(kOrders)) << "the stop was not mid-stream";

  Worker second(source(), broker, options(kBatch));
  std::jthread thread([&](std::stop_token st) { second.run(st); });
  ASSERT_TRUE(eventually([&] { return db_->stored_position() == std::to_string(kOrders); }));
  thread.request_stop();
  thread.join();

  std::lock_guard lock(bridge.mutex);
  std::map<std::string, int> seen;
  for (auto& u : bridge.updates) seen[std::string(u.at("data").at("eventId").as_string())]++;
  for (int p = 1; p <= kOrders; ++p) EXPECT_EQ(seen.count("sqlite:" + std::to_string(p)), 1u) << p;
  // Only a batch that was published but not acknowledged can be delivered twice.
  EXPECT_LE(bridge.updates.size() - seen.size(), kBatch);
}

TEST_F(SqliteWorker, UnconfirmedPublishesAreDeliveredAgainAfterACrash) {
  // A broker that never confirms: the worker must not move the position.
  class SilentBroker final : public broker::Broker {
   public:
    void publish(std::string, std::string, broker::PublishDone) override { ++published; }
    void subscribe(std::string, broker::MessageHandler) override {}
    void psubscribe(std::string, broker::MessageHandler) override {}
    void unsubscribe(std::string) override {}
    bool ready() const override { return false; }
    std::atomic<int> published{0};
  };
  db_->write("insert", "o1", 5, "completed", "c", now_ms());
  db_->write("insert", "o2", 6, "completed", "c", now_ms());
  auto silent = std::make_shared<SilentBroker>();
  {
    auto o = options();
    o.publish_timeout = 20ms;
    Worker crashed(source(), silent, o);
    std::jthread thread([&](std::stop_token st) { crashed.run(st); });
    ASSERT_TRUE(eventually([&] { return silent->published >= 4; }));
  }
  EXPECT_EQ(db_->stored_position(), "");

  auto broker = std::make_shared<broker::MemoryBroker>();
  Bridge bridge;
  bridge.attach(*broker);
  Worker restarted(source(), broker, options());
  std::jthread thread([&](std::stop_token st) { restarted.run(st); });
  ASSERT_TRUE(eventually([&] { return bridge.update_count() >= 2; }));
  thread.request_stop();
  thread.join();
  EXPECT_EQ(db_->stored_position(), "2");
}

TEST_F(SqliteWorker, AStandbyPublishesNothingUntilItLeads) {
  struct Switch final : Leadership {
    std::atomic<bool> leading{false};
    bool is_leader() const override { return leading; }
  };
  auto leadership = std::make_shared<Switch>();
  auto broker = std::make_shared<broker::MemoryBroker>();
  Bridge bridge;
  bridge.attach(*broker);
  db_->write("insert", "o1", 5, "completed", "c", now_ms());
  auto o = options();
  o.leadership = leadership;
  Worker worker(source(), broker, o);
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(bridge.update_count(), 0u);
  EXPECT_EQ(bridge.snapshot_count(), 0u);
  EXPECT_EQ(db_->stored_position(), "");
  leadership->leading = true;
  ASSERT_TRUE(eventually([&] { return bridge.update_count() == 1; }));
  leadership->leading = false;  // losing the lease stops publishing at once
  std::this_thread::sleep_for(150ms);
  db_->write("insert", "o2", 6, "completed", "c", now_ms());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(bridge.update_count(), 1u);
  thread.request_stop();
}

// Two workers share worker_positions: an old leader acknowledging late must not move the
// stored position back, or the next start would replay what the new leader delivered.
TEST_F(SqliteWorker, TheStoredPositionOnlyMovesForward) {
  for (int i = 0; i < 12; ++i)
    db_->write("insert", "o" + std::to_string(i), 1, "completed", "c", 1);
  auto new_leader = source();
  auto old_leader = source();
  ASSERT_FALSE(new_leader->start(std::nullopt));
  ASSERT_FALSE(old_leader->start(std::nullopt));
  ASSERT_FALSE(new_leader->acknowledge("10"));
  EXPECT_EQ(db_->stored_position(), "10");
  ASSERT_FALSE(old_leader->acknowledge("4"));
  EXPECT_EQ(db_->stored_position(), "10");
  ASSERT_FALSE(old_leader->acknowledge("11"));
  EXPECT_EQ(db_->stored_position(), "11");
  new_leader->stop();
  old_leader->stop();

  auto next = source();
  ASSERT_FALSE(next->start(std::nullopt));
  auto polled = next->poll(100ms, 10);
  ASSERT_TRUE(std::holds_alternative<std::vector<ChangeEvent>>(polled));
  auto& events = std::get<std::vector<ChangeEvent>>(polled);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].position, "12");
}

// A fresh file that another process holds locked while it creates it (the API starting at the
// same instant) for longer than one statement's busy timeout: the source waits it out instead of
// failing its start with "database is locked".
TEST(SqliteSourceStart, WaitsOutAFreshFileLockedByAnotherConnection) {
  testing::ScratchDir dir("pulseboard-worker-busy");
  const auto path = dir.path() / "fresh.db";
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(other, "BEGIN EXCLUSIVE; CREATE TABLE creating(x);", nullptr, nullptr, nullptr),
      SQLITE_OK);
  // Held past the source's 5 s busy timeout, then committed, as a slow creator would.
  std::jthread holder([other] {
    std::this_thread::sleep_for(6s);
    sqlite3_exec(other, "COMMIT;", nullptr, nullptr, nullptr);
  });
  auto source = make_sqlite_source(path.string(), SourceOptions{});
  auto err = source->start(std::nullopt);
  holder.join();
  sqlite3_close(other);
  ASSERT_FALSE(err) << err->message;
  auto polled = source->poll(50ms, 10);
  ASSERT_TRUE(std::holds_alternative<std::vector<ChangeEvent>>(polled));
  EXPECT_TRUE(std::get<std::vector<ChangeEvent>>(polled).empty());
  source->stop();
}

TEST(SqliteUrl, RefusesWhatItCannotOpen) {
  std::string error;
  EXPECT_EQ(open_change_source("redis://x", SourceOptions{}, &error), nullptr);
  EXPECT_NE(error.find("unsupported database URL"), std::string::npos);
}

}  // namespace
}  // namespace pulseboard::worker

namespace pulseboard::worker {
namespace {

// The canary goes through the outbox and comes back as a bridge canary, after the data, never
// as an update, never counted; the worker's age restarts with each one.
TEST_F(SqliteWorker, CanaryTravelsTheOutboxAndBypassesThePipeline) {
  auto broker = std::make_shared<broker::MemoryBroker>();
  std::mutex mutex;
  std::vector<json::object> messages;
  broker->subscribe("socket-io-bridge", [&](std::string_view, std::string_view payload) {
    std::lock_guard lock(mutex);
    messages.push_back(json::parse(payload).as_object());
  });
  const std::int64_t before = now_ms();
  db_->write("insert", "completedOrder000009", 5, "completed", "books", before);
  auto o = options();
  o.canary_interval = 20ms;
  Worker worker(source(), broker, o);
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  ASSERT_TRUE(eventually([&] { return worker.stats().canaries >= 3; }));
  thread.request_stop();
  thread.join();

  const Worker::Stats stats = worker.stats();
  EXPECT_EQ(stats.published, 1u) << "canaries are not updates";
  ASSERT_TRUE(stats.canary_age_seconds.has_value());
  EXPECT_LT(*stats.canary_age_seconds, 5.0);
  EXPECT_FALSE(stats.delivery_stale);
  EXPECT_EQ(worker.publish_latency().count(), 1u) << "only the order is timed";
  std::lock_guard lock(mutex);
  std::size_t canaries = 0, updates = 0;
  for (auto& m : messages) {
    if (m.contains("kind")) {
      EXPECT_EQ(m.at("kind"), "canary");
      EXPECT_GE(m.at("committedAt").as_int64(), before);
      EXPECT_GE(m.at("publishedAt").as_int64(), m.at("committedAt").as_int64());
      EXPECT_FALSE(m.contains("room"));
      ++canaries;
    } else if (m.at("event") == "metrics-update") {
      EXPECT_EQ(canaries, 0u) << "the order committed first is published first";
      ++updates;
    }
  }
  EXPECT_GE(canaries, 3u);
  EXPECT_EQ(updates, 1u);
  // Acknowledged like any change: the stored position is past the canaries' rows.
  EXPECT_GT(std::stoll(db_->stored_position()), 1);
}

}  // namespace
}  // namespace pulseboard::worker
