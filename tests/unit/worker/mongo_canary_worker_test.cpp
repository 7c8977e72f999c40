// The MongoDB canary through the worker, without a server: a source that answers like the
// MongoDB one (the heartbeat command it would send, the recorded heartbeat change event run
// through the stream's pipeline and the decoder) beside a recorded completed order. The worker
// publishes the heartbeat as a bridge canary, never as an update; a low oplog headroom makes
// delivery stale.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "broker/broker_memory.hpp"
#include "changes/mongo_canary.hpp"
#include "changes/mongo_change_decoder.hpp"
#include "eventually.hpp"
#include "recorded.hpp"
#include "worker/worker.hpp"

namespace pulseboard::worker {
namespace {
using namespace changes;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::eventually;

// What the server sends for a recorded change on the stream the MongoDB source opens.
std::optional<ChangeEvent> streamed(const std::string& file) {
  auto stages = mongo_watch_pipeline(pipeline::Pipeline::article_default(), true, {"orders"});
  auto p = std::get<pipeline::Pipeline>(pipeline::Pipeline::parse(json::serialize(stages)));
  auto sent = p.apply(pulseboard::testing::recorded(file));
  if (!sent) return std::nullopt;
  return std::get<ChangeEvent>(decode_mongo_change(*sent, true));
}

class RecordedMongoSource final : public ChangeSource {
 public:
  mutable std::mutex mutex;
  std::vector<json::object> commands;  // what emit_canary() would have sent
  SourceHealth reported;

  std::string name() const override { return "mongo"; }
  std::optional<SourceError> start(std::optional<std::string>) override { return std::nullopt; }
  std::variant<std::vector<ChangeEvent>, SourceError> poll(std::chrono::milliseconds wait,
                                                           std::size_t) override {
    std::lock_guard lock(mutex);
    if (queued_.empty()) std::this_thread::sleep_for(std::min(wait, 5ms));
    return std::exchange(queued_, {});
  }
  std::optional<SourceError> acknowledge(const std::string&) override { return std::nullopt; }
  void stop() override {}
  bool pipeline_applied() const override { return true; }
  std::optional<std::string> emit_canary() override {
    std::lock_guard lock(mutex);
    commands.push_back(mongo_canary_command(mongo_canary_writer_id(), 1732766405120));
    if (!order_sent_) {
      if (auto order = streamed("insert_completed.json")) queued_.push_back(*order);
      order_sent_ = true;
    }
    if (auto heartbeat = streamed("canary_upsert.json")) queued_.push_back(*heartbeat);
    return std::nullopt;
  }
  SourceHealth health() const override {
    std::lock_guard lock(mutex);
    return reported;
  }

 private:
  std::vector<ChangeEvent> queued_;
  bool order_sent_ = false;
};

Worker::Options canary_options() {
  Worker::Options o;
  o.canary_interval = 20ms;
  return o;
}

TEST(MongoCanaryWorker, TheHeartbeatBecomesABridgeCanaryNeverData) {
  auto broker = std::make_shared<broker::MemoryBroker>();
  std::mutex mutex;
  std::vector<json::object> messages;
  broker->subscribe("socket-io-bridge", [&](std::string_view, std::string_view payload) {
    std::lock_guard lock(mutex);
    messages.push_back(json::parse(payload).as_object());
  });
  auto owned = std::make_unique<RecordedMongoSource>();
  auto* source = owned.get();
  Worker worker(std::move(owned), broker, canary_options());
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  ASSERT_TRUE(eventually([&] { return worker.stats().canaries >= 3; }));
  thread.request_stop();
  thread.join();

  const auto stats = worker.stats();
  EXPECT_EQ(stats.published, 1u) << "only the order is an update";
  EXPECT_FALSE(stats.delivery_stale);
  {
    std::lock_guard lock(source->mutex);
    ASSERT_GE(source->commands.size(), 3u);
    EXPECT_EQ(source->commands[0].at("update"), "pulseboard_canary");
  }
  std::lock_guard lock(mutex);
  std::size_t canaries = 0, updates = 0;
  for (auto& m : messages) {
    if (m.contains("kind")) {
      EXPECT_EQ(m.at("kind"), "canary");
      EXPECT_EQ(m.at("committedAt"), 1732766405125);  // the heartbeat's wallTime
      ++canaries;
    } else if (m.at("event") == "metrics-update") {
      EXPECT_EQ(m.at("data").at("id"), "oZkt23DVNpeRzR9mPZVx");
      EXPECT_FALSE(m.at("data").as_object().contains("ns"));
      ++updates;
    }
  }
  EXPECT_GE(canaries, 3u);
  EXPECT_EQ(updates, 1u);
}

TEST(MongoCanaryWorker, ALowOplogHeadroomMakesDeliveryStale) {
  auto owned = std::make_unique<RecordedMongoSource>();
  auto* source = owned.get();
  {
    std::lock_guard lock(source->mutex);
    source->reported.oplog_headroom_seconds = 120;
    source->reported.low_oplog_headroom = true;
  }
  Worker worker(std::move(owned), std::make_shared<broker::MemoryBroker>(), canary_options());
  std::jthread thread([&](std::stop_token st) { worker.run(st); });
  ASSERT_TRUE(eventually([&] { return worker.stats().canaries >= 1; }));
  auto stats = worker.stats();
  EXPECT_TRUE(stats.delivery_stale) << "canaries flow, but a restart would lose the token";
  EXPECT_EQ(stats.source_health.oplog_headroom_seconds, 120);
  {
    std::lock_guard lock(source->mutex);
    source->reported.low_oplog_headroom = false;
  }
  EXPECT_FALSE(worker.stats().delivery_stale);
}

}  // namespace
}  // namespace pulseboard::worker
