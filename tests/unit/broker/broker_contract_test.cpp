// One contract for every broker: the in-process one always runs; the Redis ones run when
// PULSEBOARD_REDIS_URL (pub/sub) or PULSEBOARD_REDIS_CLUSTER_URL (sharded, Redis Cluster) is
// set, e.g. from scripts/lib/redis.sh.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>

#include "broker/broker_memory.hpp"
#include "broker/broker_redis.hpp"
#include "broker_kinds.hpp"
#include "common/ids.hpp"
#include "run_until.hpp"

namespace pulseboard::broker {
namespace {

using testing::run_until;

using testing::Kind;
using testing::kind_name;

struct Message {
  std::string channel, payload;
  bool operator==(const Message&) const = default;
};

class BrokerContract : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    const char* var =
        GetParam() == Kind::redis_sharded ? "PULSEBOARD_REDIS_CLUSTER_URL" : "PULSEBOARD_REDIS_URL";
    if (GetParam() == Kind::memory) {
      broker_ = std::make_shared<MemoryBroker>();
    } else {
      const char* url = std::getenv(var);
      if (!url) GTEST_SKIP() << var << " is not set (start one with scripts/lib/redis.sh)";
      auto ep = redis::parse_url(url);
      ASSERT_TRUE(ep) << "bad " << var << ": " << url;
      auto mode = GetParam() == Kind::redis_sharded ? RedisBroker::Mode::sharded
                                                    : RedisBroker::Mode::pubsub;
      redis_ = RedisBroker::create(io_.get_executor(), *ep, mode);
      broker_ = redis_;
    }
    // A hash tag keeps one test's channels in one cluster slot, so their order is defined.
    prefix_ = "pb:test:{" + random_token(10) + "}:";
  }

  void TearDown() override {
    if (redis_) {
      redis_->stop();
      io_.restart();
      io_.run_for(std::chrono::milliseconds(20));
    }
  }

  MessageHandler recorder(std::vector<Message>& into) {
    return [&into](std::string_view channel, std::string_view payload) {
      into.push_back({std::string(channel), std::string(payload)});
    };
  }

  bool wait(std::function<bool()> pred) { return run_until(io_, std::move(pred)); }
  bool wait_ready() {
    return wait([&] { return broker_->ready(); });
  }

  boost::asio::io_context io_;
  std::shared_ptr<Broker> broker_;
  std::shared_ptr<RedisBroker> redis_;
  std::string prefix_;
};

TEST_P(BrokerContract, DeliversOnlyTheSubscribedChannel) {
  std::vector<Message> got;
  broker_->subscribe(prefix_ + "a", recorder(got));
  ASSERT_TRUE(wait_ready());
  broker_->publish(prefix_ + "b", "not for us", nullptr);
  broker_->publish(prefix_ + "a", std::string("bin\0ary", 7), nullptr);
  ASSERT_TRUE(wait([&] { return !got.empty(); }));
  EXPECT_EQ(got, (std::vector<Message>{{prefix_ + "a", std::string("bin\0ary", 7)}}));
}

TEST_P(BrokerContract, PatternSubscriptionReportsTheConcreteChannel) {
  if (GetParam() == Kind::redis_sharded) GTEST_SKIP() << "Redis has no sharded PSUBSCRIBE";
  std::vector<Message> got;
  broker_->psubscribe(prefix_ + "room*", recorder(got));
  ASSERT_TRUE(wait_ready());
  broker_->publish(prefix_ + "other", "x", nullptr);
  broker_->publish(prefix_ + "room7", "hello", nullptr);
  ASSERT_TRUE(wait([&] { return !got.empty(); }));
  EXPECT_EQ(got, (std::vector<Message>{{prefix_ + "room7", "hello"}}));
}

TEST_P(BrokerContract, UnsubscribeStopsDelivery) {
  std::vector<Message> a, b;
  broker_->subscribe(prefix_ + "a", recorder(a));
  broker_->subscribe(prefix_ + "b", recorder(b));
  ASSERT_TRUE(wait_ready());
  broker_->unsubscribe(prefix_ + "a");
  broker_->publish(prefix_ + "a", "dropped", nullptr);
  broker_->publish(prefix_ + "b", "kept", nullptr);
  ASSERT_TRUE(wait([&] { return !b.empty(); }));
  EXPECT_TRUE(a.empty());
  EXPECT_TRUE(broker_->ready());
}

TEST_P(BrokerContract, SecondSubscribeReplacesTheHandler) {
  std::vector<Message> first, second;
  broker_->subscribe(prefix_ + "a", recorder(first));
  broker_->subscribe(prefix_ + "a", recorder(second));
  ASSERT_TRUE(wait_ready());
  broker_->publish(prefix_ + "a", "m", nullptr);
  ASSERT_TRUE(wait([&] { return !second.empty(); }));
  EXPECT_TRUE(first.empty());
}

TEST_P(BrokerContract, PublishReportsSuccessOnce) {
  ASSERT_TRUE(wait_ready());
  int calls = 0;
  std::error_code result = std::make_error_code(std::errc::io_error);
  broker_->publish(prefix_ + "nobody-listens", "x", [&](std::error_code ec) {
    ++calls;
    result = ec;
  });
  ASSERT_TRUE(wait([&] { return calls > 0; }));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(result) << result.message();
}

TEST_P(BrokerContract, ManyMessagesArriveInOrder) {
  std::vector<Message> got;
  broker_->subscribe(prefix_ + "seq", recorder(got));
  ASSERT_TRUE(wait_ready());
  constexpr int kCount = 2000;
  int acked = 0, failed = 0;
  for (int i = 0; i < kCount; ++i)
    broker_->publish(prefix_ + "seq", std::to_string(i),
                     [&](std::error_code ec) { ++(ec ? failed : acked); });
  ASSERT_TRUE(wait([&] { return got.size() == kCount && acked == kCount; }))
      << got.size() << " received, " << acked << " acknowledged";
  EXPECT_EQ(failed, 0);
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(got[i].payload, std::to_string(i));
}

INSTANTIATE_TEST_SUITE_P(AllBrokers, BrokerContract,
                         ::testing::Values(Kind::memory, Kind::redis_pubsub, Kind::redis_sharded),
                         kind_name);

}  // namespace
}  // namespace pulseboard::broker
