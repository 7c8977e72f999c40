// The snapshot across worker restarts and lost history (docs/snapshots.md): the real SQLite
// store and change source, the Worker publishing to an in-process broker, and what a gateway
// would receive on the bridge channel.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "broker/broker_memory.hpp"
#include "changes/change_source.hpp"
#include "eventually.hpp"
#include "scratch_dir.hpp"
#include "store/order_store.hpp"
#include "worker/leadership.hpp"
#include "worker/worker.hpp"

namespace pulseboard::worker {
namespace {
using namespace changes;
using namespace pipeline;
namespace json = boost::json;
using namespace std::chrono_literals;

using testing::eventually;

// The snapshots a gateway would receive, and what the broker stored for late subscribers.
struct Snapshots {
  std::mutex mutex;
  std::vector<json::object> data;

  void attach(broker::Broker& b) {
    b.subscribe("socket-io-bridge", [this](std::string_view, std::string_view payload) {
      auto msg = json::parse(payload).as_object();
      if (msg.at("event") != "metrics-snapshot") return;
      EXPECT_EQ(msg.at("retain"), json::value(true));
      std::lock_guard lock(mutex);
      data.push_back(msg.at("data").as_object());
    });
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return data.size();
  }
  json::object last() {
    std::lock_guard lock(mutex);
    return data.back();
  }
  json::object at(std::size_t i) {
    std::lock_guard lock(mutex);
    return data.at(i);
  }
  // The first snapshot that satisfies pred, waiting for it.
  std::optional<json::object> wait_for(std::function<bool(const json::object&)> pred) {
    std::optional<json::object> found;
    eventually([&] {
      std::lock_guard lock(mutex);
      for (auto& d : data)
        if (pred(d)) {
          found = d;
          return true;
        }
      return false;
    });
    return found;
  }
};

std::int64_t orders_of(const json::object& snapshot) {
  return snapshot.at("totals").at("orders").as_int64();
}

std::vector<std::string> recent_ids(const json::object& snapshot) {
  std::vector<std::string> ids;
  for (auto& r : snapshot.at("recent").as_array())
    ids.emplace_back(r.as_object().at("id").as_string());
  return ids;
}

class WorkerSnapshot : public ::testing::Test {
 protected:
  void SetUp() override { store_ = store::open_sqlite_store(path_.string()); }
  void TearDown() override { store_.reset(); }

  void order(double amount, store::OrderStatus status, std::string category) {
    auto r = store_->create({amount, status, std::move(category)}, std::nullopt, "");
    ASSERT_TRUE(std::holds_alternative<store::Created>(r));
  }

  std::unique_ptr<ChangeSource> source() {
    std::string error;
    auto s = open_change_source("sqlite://" + path_.string(), SourceOptions{}, &error);
    EXPECT_TRUE(s) << error;
    return s;
  }

  Worker::Options options() {
    Worker::Options o;
    o.snapshot_interval = 20ms;
    o.backoff_min = 5ms;
    o.backoff_max = 20ms;
    o.history = store_;
    return o;
  }

  testing::ScratchDir dir_{"pulseboard-snapshot"};
  std::filesystem::path path_ = dir_.path() / "orders.db";
  std::shared_ptr<store::OrderStore> store_;
};

TEST_F(WorkerSnapshot, ARestartedWorkerPublishesTheSameTotals) {
  order(10, store::OrderStatus::completed, "books");
  order(20.5, store::OrderStatus::completed, "books");
  order(99, store::OrderStatus::pending, "games");
  order(7.25, store::OrderStatus::completed, "toys");

  json::object before;
  {
    auto broker = std::make_shared<broker::MemoryBroker>();
    Snapshots seen;
    seen.attach(*broker);
    Worker worker(source(), broker, options());
    std::jthread thread([&](std::stop_token st) { worker.run(st); });
    auto full = seen.wait_for([](const json::object& s) { return orders_of(s) == 3; });
    ASSERT_TRUE(full) << "the first worker never showed the 3 completed orders";
    before = *full;
  }

  // A new process on the same database: its changes are all acknowledged, nothing new arrives.
  auto broker = std::make_shared<broker::MemoryBroker>();
  Snapshots seen;
  seen.attach(*broker);
  Worker worker(source(), broker, options());
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  ASSERT_TRUE(eventually([&] { return seen.size() > 0; }))
      << "the restarted worker published no snapshot";
  json::object after = seen.at(0);
  EXPECT_EQ(after.at("totals"), before.at("totals"));
  EXPECT_EQ(after.at("totals").at("revenue").to_number<double>(), 37.75);
  EXPECT_EQ(after.at("categories"), before.at("categories"));
  EXPECT_EQ(recent_ids(after), recent_ids(before));
  EXPECT_FALSE(after.contains("resnapshot"));
  EXPECT_EQ(worker.stats().rebuilds, 1u);
}

TEST_F(WorkerSnapshot, ChangesReplayedAfterTheRebuildAreNotCountedTwice) {
  order(10, store::OrderStatus::completed, "books");
  order(20, store::OrderStatus::completed, "toys");
  auto broker = std::make_shared<broker::MemoryBroker>();
  Snapshots seen;
  seen.attach(*broker);
  // Nothing was ever acknowledged: the source replays both inserts the rebuild already counted.
  Worker worker(source(), broker, options());
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  ASSERT_TRUE(eventually([&] { return worker.stats().published == 2; }));
  order(5, store::OrderStatus::completed, "books");
  auto third = seen.wait_for([](const json::object& s) {
    for (auto& r : s.at("recent").as_array())
      if (r.as_object().at("revenue").to_number<double>() == 5.0) return true;
    return false;
  });
  ASSERT_TRUE(third);
  EXPECT_EQ(orders_of(*third), 3);
  EXPECT_EQ(third->at("totals").at("revenue").to_number<double>(), 35.0);
  auto ids = recent_ids(*third);
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3u);
}

struct Switch final : Leadership {
  std::atomic<bool> leading{false};
  bool is_leader() const override { return leading.load(); }
};

TEST_F(WorkerSnapshot, AStandbyThatBecomesLeaderStartsFromTheDatabaseTotals) {
  order(10, store::OrderStatus::completed, "books");
  order(4, store::OrderStatus::completed, "toys");
  // The first leader published these; the standby never saw a change of them.
  auto broker = std::make_shared<broker::MemoryBroker>();
  Snapshots seen;
  seen.attach(*broker);
  auto leadership = std::make_shared<Switch>();
  auto o = options();
  o.leadership = leadership;
  o.start_position = std::string(ChangeSource::kFromNow);  // the old leader acknowledged them
  Worker worker(source(), broker, o);
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  leadership->leading = true;
  auto first = seen.wait_for([](const json::object&) { return true; });
  ASSERT_TRUE(first) << "the new leader published no snapshot";
  EXPECT_EQ(orders_of(*first), 2);
  EXPECT_EQ(first->at("totals").at("revenue").to_number<double>(), 14.0);
  EXPECT_EQ(worker.stats().published, 0u);
}

// Answers the first poll with lost history, then has nothing new.
class HistoryLostSource final : public ChangeSource {
 public:
  std::string name() const override { return "fake"; }
  std::optional<SourceError> start(std::optional<std::string> from) override {
    std::lock_guard lock(mutex);
    starts.push_back(from.value_or("<durable>"));
    return std::nullopt;
  }
  std::variant<std::vector<ChangeEvent>, SourceError> poll(std::chrono::milliseconds max_wait,
                                                           std::size_t) override {
    if (!lost_.exchange(true))
      return SourceError{SourceError::Kind::resnapshot_needed, "ChangeStreamHistoryLost (286)"};
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(max_wait, 5ms));
    return std::vector<ChangeEvent>{};
  }
  std::optional<SourceError> acknowledge(const std::string&) override { return std::nullopt; }
  void stop() override {}

  std::mutex mutex;
  std::vector<std::string> starts;

 private:
  std::atomic<bool> lost_{false};
};

TEST_F(WorkerSnapshot, LostHistoryRebuildsFromTheStoreAndFlagsTheSnapshot) {
  order(12, store::OrderStatus::completed, "books");
  order(30, store::OrderStatus::completed, "garden");
  auto source = std::make_unique<HistoryLostSource>();
  auto* fake = source.get();
  auto broker = std::make_shared<broker::MemoryBroker>();
  Snapshots seen;
  seen.attach(*broker);
  Worker worker(std::move(source), broker, options());
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  auto flagged = seen.wait_for([](const json::object& s) { return s.contains("resnapshot"); });
  ASSERT_TRUE(flagged) << "no snapshot carried the resnapshot flag";
  EXPECT_EQ(flagged->at("resnapshot"), json::value(true));
  // None of these changes came through the (fake) stream: the totals are the database's.
  EXPECT_EQ(orders_of(*flagged), 2);
  EXPECT_EQ(flagged->at("totals").at("revenue").to_number<double>(), 42.0);
  EXPECT_EQ(worker.stats().resnapshots, 1u);
  EXPECT_GE(worker.stats().rebuilds, 2u);  // on start, and after the loss
  {
    std::lock_guard lock(fake->mutex);
    ASSERT_EQ(fake->starts.size(), 2u);
    EXPECT_EQ(fake->starts[1], ChangeSource::kFromNow);
  }
  // The snapshot of the first rebuild, before the loss, carries no flag.
  EXPECT_FALSE(seen.at(0).contains("resnapshot"));
}

TEST_F(WorkerSnapshot, LostHistoryWithoutAStoreStillSignalsDownstream) {
  auto broker = std::make_shared<broker::MemoryBroker>();
  Snapshots seen;
  seen.attach(*broker);
  auto o = options();
  o.history = nullptr;
  Worker worker(std::make_unique<HistoryLostSource>(), broker, o);
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  auto flagged = seen.wait_for([](const json::object& s) { return s.contains("resnapshot"); });
  ASSERT_TRUE(flagged);
  EXPECT_EQ(orders_of(*flagged), 0);
  EXPECT_EQ(worker.stats().resnapshots, 1u);
  EXPECT_EQ(worker.stats().rebuilds, 0u);
}

TEST_F(WorkerSnapshot, TheSnapshotIsStoredForSubscribersThatComeLater) {
  order(8, store::OrderStatus::completed, "books");
  auto broker = std::make_shared<broker::MemoryBroker>();
  Worker worker(source(), broker, options());
  {
    std::jthread thread([&](std::stop_token st) { worker.run(st); });
    ASSERT_TRUE(eventually([&] { return worker.stats().snapshots > 0; }));
  }
  // A gateway subscribing after the publish reads it back.
  std::vector<std::string> restored;
  broker->subscribe_retained(
      "socket-io-bridge", [](std::string_view, std::string_view) {},
      [&]() -> broker::RetainedDone {
        return [&](std::vector<std::string> payloads) { restored = std::move(payloads); };
      });
  ASSERT_EQ(restored.size(), 1u);
  auto msg = json::parse(restored[0]).as_object();
  EXPECT_EQ(msg.at("event"), "metrics-snapshot");
  EXPECT_EQ(msg.at("room"), "live-metrics");
  EXPECT_EQ(orders_of(msg.at("data").as_object()), 1);
}

}  // namespace
}  // namespace pulseboard::worker
