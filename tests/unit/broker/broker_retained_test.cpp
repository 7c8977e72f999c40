// Retained messages through every broker: publish_retained stores what it publishes, and a
// subscriber that comes later (a gateway started after the worker published, or one that
// reconnects after an outage) reads it back when its subscription is confirmed. The Redis
// brokers run when PULSEBOARD_REDIS_URL / PULSEBOARD_REDIS_CLUSTER_URL is set.
#include <gtest/gtest.h>

#include <algorithm>

#include <boost/asio/io_context.hpp>
#include <cstdlib>

#include "broker/broker_memory.hpp"
#include "broker/broker_redis.hpp"
#include "broker_kinds.hpp"
#include "common/ids.hpp"
#include "redis/cluster_slots.hpp"
#include "run_until.hpp"

namespace pulseboard::broker {
namespace {

using testing::run_until;

using testing::Kind;
using testing::kind_name;

class BrokerRetained : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() != Kind::memory) {
      const char* var = GetParam() == Kind::redis_sharded ? "PULSEBOARD_REDIS_CLUSTER_URL"
                                                          : "PULSEBOARD_REDIS_URL";
      const char* url = std::getenv(var);
      if (!url) GTEST_SKIP() << var << " is not set (start one with scripts/lib/redis.sh)";
      auto ep = redis::parse_url(url);
      ASSERT_TRUE(ep) << "bad " << var << ": " << url;
      endpoint_ = *ep;
    }
    channel_ = "pb:test:retained:" + random_token(10);
  }

  void TearDown() override {
    for (auto& r : redis_) r->stop();
    io_.restart();
    io_.run_for(std::chrono::milliseconds(20));
  }

  // A new broker each call: with Redis, a separate process's view (its own connections).
  std::shared_ptr<Broker> make() {
    if (GetParam() == Kind::memory) {
      if (!memory_) memory_ = std::make_shared<MemoryBroker>();
      return memory_;
    }
    auto mode =
        GetParam() == Kind::redis_sharded ? RedisBroker::Mode::sharded : RedisBroker::Mode::pubsub;
    redis_.push_back(RedisBroker::create(io_.get_executor(), endpoint_, mode));
    return redis_.back();
  }

  bool publish_retained(Broker& b, const std::string& field, const std::string& payload) {
    int calls = 0;
    std::error_code result;
    b.publish_retained(channel_, field, payload, [&](std::error_code ec) {
      ++calls;
      result = ec;
    });
    return run_until(io_, [&] { return calls > 0; }) && calls == 1 && !result;
  }

  boost::asio::io_context io_;
  redis::Endpoint endpoint_;
  std::shared_ptr<MemoryBroker> memory_;
  std::vector<std::shared_ptr<RedisBroker>> redis_;
  std::string channel_;
};

TEST_P(BrokerRetained, ALaterSubscriberReadsTheLatestMessageOfEachField) {
  auto publisher = make();
  // Field names are opaque to the broker; these are the ones bridge messages use.
  const std::string snapshot = R"(["/","live-metrics","metrics-snapshot"])";
  const std::string status = R"(["/","live-metrics","status"])";
  ASSERT_TRUE(publish_retained(*publisher, snapshot, "snapshot 1"));
  ASSERT_TRUE(publish_retained(*publisher, snapshot, "snapshot 2"));
  ASSERT_TRUE(publish_retained(*publisher, status, "status 1"));

  auto gateway = make();
  int reads = 0;
  std::vector<std::string> restored, live;
  gateway->subscribe_retained(
      channel_, [&](std::string_view, std::string_view p) { live.emplace_back(p); },
      [&]() -> RetainedDone {
        ++reads;
        return [&](std::vector<std::string> payloads) { restored = std::move(payloads); };
      });
  // Ready means the stored messages were read, not only that the subscription is confirmed.
  ASSERT_TRUE(run_until(io_, [&] { return gateway->ready(); }));
  EXPECT_EQ(reads, 1);
  std::sort(restored.begin(), restored.end());
  EXPECT_EQ(restored, (std::vector<std::string>{"snapshot 2", "status 1"}));

  // Live delivery works as with subscribe(), and what is published is stored too.
  ASSERT_TRUE(publish_retained(*publisher, snapshot, "snapshot 3"));
  ASSERT_TRUE(run_until(io_, [&] { return !live.empty(); }));
  EXPECT_EQ(live, std::vector<std::string>{"snapshot 3"});
  auto late = make();
  std::vector<std::string> late_restored;
  late->subscribe_retained(
      channel_, [](std::string_view, std::string_view) {},
      [&]() -> RetainedDone {
        return [&](std::vector<std::string> payloads) { late_restored = std::move(payloads); };
      });
  ASSERT_TRUE(run_until(io_, [&] { return late_restored.size() == 2; }));
  std::sort(late_restored.begin(), late_restored.end());
  EXPECT_EQ(late_restored, (std::vector<std::string>{"snapshot 3", "status 1"}));
}

TEST_P(BrokerRetained, NothingStoredReadsEmptyAndStillBecomesReady) {
  auto gateway = make();
  bool read = false;
  gateway->subscribe_retained(
      channel_, [](std::string_view, std::string_view) {},
      [&]() -> RetainedDone {
        return [&](std::vector<std::string> payloads) {
          read = true;
          EXPECT_TRUE(payloads.empty());
        };
      });
  ASSERT_TRUE(run_until(io_, [&] { return read && gateway->ready(); }));
}

TEST(RetainedStorageKey, LivesInTheChannelsClusterSlot) {
  // (A channel with a '}' but no hash tag of its own cannot be matched: docs/snapshots.md.)
  for (std::string channel : {"socket-io-bridge", "a{tag}b", "{x}", "open{only", "pb:test:1"}) {
    auto key = retained_storage_key(channel);
    EXPECT_TRUE(key.starts_with("pulseboard:retained:")) << key;
    EXPECT_EQ(redis::key_slot(key), redis::key_slot(channel)) << channel << " -> " << key;
  }
}

INSTANTIATE_TEST_SUITE_P(AllBrokers, BrokerRetained,
                         ::testing::Values(Kind::memory, Kind::redis_pubsub, Kind::redis_sharded),
                         kind_name);

}  // namespace
}  // namespace pulseboard::broker
