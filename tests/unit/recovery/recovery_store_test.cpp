// One contract for the recovery stores (recovery_store.hpp): in process, in Redis when
// PULSEBOARD_REDIS_URL is set (scripts/lib/redis.sh: redis_start), and on a Redis Cluster when
// PULSEBOARD_REDIS_CLUSTER_URL is set (redis_cluster_start).
#include "recovery/recovery_store.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <future>
#include <thread>

#include "common/ids.hpp"
#include "recovery/recovery_store_memory.hpp"
#include "recovery/recovery_store_redis.hpp"
#include "redis/cluster_router.hpp"

namespace pulseboard::recovery {
namespace {
using namespace std::chrono_literals;

enum class Kind { memory, redis, redis_cluster };

// The packet a gateway records for update `n` in namespace `nsp`: its offset is its last
// argument.
std::string packet(const std::string& nsp, const std::string& offset, int n) {
  return "2" + nsp + R"(,["metrics-update",{"n":)" + std::to_string(n) + R"(},")" + offset +
         R"("])";
}

class RecoveryStoreContract : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    nsp_ = "/t" + random_token(8);
    if (GetParam() == Kind::memory) return make_store(kHistory);
    const char* variable =
        GetParam() == Kind::redis ? "PULSEBOARD_REDIS_URL" : "PULSEBOARD_REDIS_CLUSTER_URL";
    const char* url = std::getenv(variable);
    if (!url || !*url) GTEST_SKIP() << variable << " is not set";
    auto ep = redis::parse_url(url);
    ASSERT_TRUE(ep);
    thread_ = std::thread([this] { io_.run(); });
    if (GetParam() == Kind::redis) {
      connection_ = redis::Connection::create(io_.get_executor(), *ep, "recovery-test");
      connection_->start();
    } else {
      // Namespaces whose keys land on different masters: the router must follow each.
      router_ = redis::ClusterRouter::create(io_.get_executor(), *ep, "recovery-test");
      router_->start();
    }
    make_store(kHistory);
  }
  // A store of this kind that keeps `history` entries per namespace.
  void make_store(std::size_t history) {
    if (GetParam() == Kind::memory) {
      store_ = std::make_shared<MemoryRecoveryStore>(history);
    } else if (connection_) {
      store_ =
          std::make_shared<RedisRecoveryStore>(RedisRecoveryStore::on(connection_), history, 60s);
    } else {
      store_ = std::make_shared<RedisRecoveryStore>(
          [router = router_](const std::string& key, std::vector<std::string> args,
                             redis::Connection::Callback cb) {
            router->command(key, std::move(args), std::move(cb));
          },
          history, 60s);
    }
  }
  void TearDown() override {
    if (connection_) connection_->stop();
    if (router_) router_->stop();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::optional<Recovered> recover(const std::string& pid, const std::string& offset) {
    std::promise<Lookup> p;
    store_->recover(nsp_, pid, offset, [&p](Lookup r) { p.set_value(std::move(r)); });
    last_ = p.get_future().get();
    return last_.recovered;
  }
  RecoverableSession session(std::vector<std::string> rooms) {
    return RecoverableSession{"pid-" + random_token(8), "sid-" + random_token(8), nsp_, "alice",
                              std::move(rooms)};
  }
  void record(const std::string& room, const std::string& offset, int n) {
    store_->record(nsp_, room, offset, packet(nsp_, offset, n));
  }
  static std::vector<std::string> offsets(const Recovered& r) {
    std::vector<std::string> out;
    for (const auto& m : r.packets) out.push_back(m.offset);
    return out;
  }

  static constexpr std::size_t kHistory = 50;
  std::string nsp_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::thread thread_;
  std::shared_ptr<redis::Connection> connection_;
  std::shared_ptr<redis::ClusterRouter> router_;
  std::shared_ptr<RecoveryStore> store_;
  Lookup last_;  // what the last recover() answered
};

TEST_P(RecoveryStoreContract, GivesBackTheSessionAndThePacketsOfItsRoomsAfterTheOffset) {
  record("live", "o1", 1);
  record("other", "o2", 2);
  record("live", "o3", 3);
  record("live", "o4", 4);
  auto s = session({"live"});
  store_->save(s, 10s);
  auto r = recover(s.pid, "o1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->session.sid, s.sid);
  EXPECT_EQ(r->session.subject, "alice");
  EXPECT_EQ(r->session.rooms, std::vector<std::string>{"live"});
  EXPECT_EQ(offsets(*r), (std::vector<std::string>{"o3", "o4"}));
  EXPECT_EQ(r->packets[0].packet, packet(nsp_, "o3", 3));
  // Once only.
  EXPECT_FALSE(recover(s.pid, "o1"));
}

TEST_P(RecoveryStoreContract, AReplayedOffsetKeepsItsFirstPlace) {
  record("live", "o1", 1);
  record("live", "o2", 2);
  record("live", "o1", 1);  // every gateway records every message; a replay is not new
  record("live", "o3", 3);
  auto s = session({"live"});
  store_->save(s, 10s);
  auto r = recover(s.pid, "o1");
  ASSERT_TRUE(r);
  EXPECT_EQ(offsets(*r), (std::vector<std::string>{"o2", "o3"}));
}

TEST_P(RecoveryStoreContract, NothingMissedIsARecoveryWithNoPackets) {
  record("live", "o1", 1);
  auto s = session({"live"});
  store_->save(s, 10s);
  auto r = recover(s.pid, "o1");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->packets.empty());
}

TEST_P(RecoveryStoreContract, UnknownSessionOffsetOrNamespaceIsNoRecovery) {
  record("live", "o1", 1);
  EXPECT_FALSE(recover("no-such-pid", "o1"));
  auto s = session({"live"});
  store_->save(s, 10s);
  EXPECT_FALSE(recover(s.pid, "not-recorded"));
  EXPECT_FALSE(recover(s.pid, "o1")) << "a failed recovery used the session up";
  auto forgotten = session({"live"});
  store_->save(forgotten, 10s);
  store_->forget(nsp_, forgotten.pid);
  EXPECT_FALSE(recover(forgotten.pid, "o1"));
}

TEST_P(RecoveryStoreContract, AnExpiredSessionIsNotRecovered) {
  record("live", "o1", 1);
  auto s = session({"live"});
  store_->save(s, 50ms);
  std::this_thread::sleep_for(150ms);
  EXPECT_FALSE(recover(s.pid, "o1"));
}

TEST_P(RecoveryStoreContract, AnOffsetTrimmedFromTheHistoryIsNoRecovery) {
  for (int i = 0; i < int(kHistory) + 10; ++i) record("live", "o" + std::to_string(i), i);
  auto s = session({"live"});
  store_->save(s, 10s);
  EXPECT_FALSE(recover(s.pid, "o0"));
  auto t = session({"live"});
  store_->save(t, 10s);
  auto r = recover(t.pid, "o" + std::to_string(kHistory));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->packets.size(), 9u);
}

TEST_P(RecoveryStoreContract, AnOffsetMoreThanTheBoundBehindIsRefusedAsBeyondIt) {
  // The history holds more than the bound: a client that far behind is told so, not walked.
  make_store(RecoveryStore::kMaxMissed + 20);
  const int n = int(RecoveryStore::kMaxMissed) + 2;  // o0 .. o1001
  for (int i = 0; i < n; ++i) record("live", "o" + std::to_string(i), i);
  auto far = session({"live"});
  store_->save(far, 10s);
  EXPECT_FALSE(recover(far.pid, "o0")) << "1001 entries after o0";
  EXPECT_TRUE(last_.beyond_bound);
  auto at_bound = session({"live"});
  store_->save(at_bound, 10s);
  auto r = recover(at_bound.pid, "o1");
  ASSERT_TRUE(r) << "1000 entries after o1: within the bound";
  EXPECT_FALSE(last_.beyond_bound);
  EXPECT_EQ(r->packets.size(), RecoveryStore::kMaxMissed);
  EXPECT_EQ(r->packets.back().offset, "o" + std::to_string(n - 1));
  // Unknown offsets and sessions are not "beyond the bound".
  auto unknown = session({"live"});
  store_->save(unknown, 10s);
  EXPECT_FALSE(recover(unknown.pid, "never-recorded"));
  EXPECT_FALSE(last_.beyond_bound);
}

TEST_P(RecoveryStoreContract, MoreBytesAfterTheOffsetThanTheBoundIsRefusedAsBeyondIt) {
  // Three packets of ~900 kB after o0 (2.7 MB > 2 MiB), two after o1 (1.8 MB).
  const std::string big(900'000, 'x');
  record("live", "o0", 0);
  for (int i = 1; i <= 3; ++i) {
    const std::string offset = "o" + std::to_string(i);
    store_->record(nsp_, "live", offset,
                   "2" + nsp_ + R"(,["metrics-update",")" + big + R"(",")" + offset + R"("])");
  }
  auto s = session({"live"});
  store_->save(s, 10s);
  EXPECT_FALSE(recover(s.pid, "o0"));
  EXPECT_TRUE(last_.beyond_bound);
  auto t = session({"live"});
  store_->save(t, 10s);
  auto r = recover(t.pid, "o1");
  ASSERT_TRUE(r);
  EXPECT_EQ(offsets(*r), (std::vector<std::string>{"o2", "o3"}));
}

TEST_P(RecoveryStoreContract, ARecordedEntryThatIsNotOneOfOurEventsIsNotSentToTheClient) {
  // What a hostile party with access to the store could leave there: a DISCONNECT, an event of
  // another namespace, an event with an ack id, one whose offset is not its own, garbage.
  record("live", "o0", 0);
  store_->record(nsp_, "live", "x1", "1" + nsp_ + ",");
  store_->record(nsp_, "live", "x2", R"(2/elsewhere,["metrics-update",{},"x2"])");
  store_->record(nsp_, "live", "x3", "2" + nsp_ + R"(,7["metrics-update",{},"x3"])");
  store_->record(nsp_, "live", "x4", packet(nsp_, "not-x4", 4));
  store_->record(nsp_, "live", "x5", "\xff\xfe not a packet");
  record("live", "o6", 6);
  auto s = session({"live"});
  store_->save(s, 10s);
  auto r = recover(s.pid, "o0");
  ASSERT_TRUE(r);
  EXPECT_EQ(offsets(*r), std::vector<std::string>{"o6"});
}

TEST(RecoveryStoreEntries, RoomsWithAnyBytesRoundTrip) {
  std::string room("a:b\n\0c", 6), back, packet;
  ASSERT_TRUE(parse_history_entry(history_entry(room, "2[\"e\"]"), back, packet));
  EXPECT_EQ(back, room);
  EXPECT_EQ(packet, "2[\"e\"]");
  EXPECT_FALSE(parse_history_entry("99:short", back, packet));
  EXPECT_FALSE(parse_history_entry("x:y", back, packet));
  auto s = parse_session_json(session_json({"p", "s", "/", "sub", {"r1", "r2"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->rooms, (std::vector<std::string>{"r1", "r2"}));
  EXPECT_FALSE(parse_session_json("{\"pid\":1}"));
}

INSTANTIATE_TEST_SUITE_P(Stores, RecoveryStoreContract,
                         ::testing::Values(Kind::memory, Kind::redis, Kind::redis_cluster),
                         [](const auto& info) {
                           switch (info.param) {
                             case Kind::memory:
                               return std::string("memory");
                             case Kind::redis:
                               return std::string("redis");
                             case Kind::redis_cluster:
                               return std::string("redis_cluster");
                           }
                           return std::string();
                         });

}  // namespace
}  // namespace pulseboard::recovery
