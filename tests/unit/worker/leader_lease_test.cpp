// Live tests of the Redis leader lease; they run when PULSEBOARD_REDIS_URL is set
// (scripts/lib/redis.sh: redis_start).
#include "worker/leader_lease.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <future>
#include <thread>

#include "common/ids.hpp"

namespace pulseboard::worker {
namespace {
using namespace std::chrono_literals;

constexpr auto kLease = 600ms;

class LeaderLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("PULSEBOARD_REDIS_URL");
    if (!url || !*url)
      GTEST_SKIP() << "PULSEBOARD_REDIS_URL is not set (source scripts/lib/redis.sh and run "
                      "redis_start to run the leader-lease tests)";
    auto ep = redis::parse_url(url);
    ASSERT_TRUE(ep) << url;
    endpoint_ = *ep;
    key_ = "pulseboard:test:leader:" + random_token(8);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    for (auto& l : leases_) l->abandon();
    for (auto& c : connections_) c->stop();
    if (admin_) admin_->stop();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::shared_ptr<redis::Connection> connection() {
    auto c = redis::Connection::create(io_.get_executor(), endpoint_, "lease-test");
    c->start();
    connections_.push_back(c);
    return c;
  }
  std::shared_ptr<LeaderLease> lease(std::string id, std::chrono::milliseconds lease = kLease,
                                     std::shared_ptr<redis::Connection> c = nullptr) {
    LeaderLease::Options o{key_, std::move(id), lease};
    o.check = 100ms;
    auto l = LeaderLease::create(io_.get_executor(), c ? c : connection(), o);
    leases_.push_back(l);
    return l;
  }
  redis::Reply run(std::vector<std::string> args) {
    std::promise<redis::Reply> p;
    if (!admin_) {
      admin_ = redis::Connection::create(io_.get_executor(), endpoint_, "lease-test-admin");
      admin_->start();
    }
    admin_->command(std::move(args), [&p](const redis::Reply& r) { p.set_value(r); });
    return p.get_future().get();
  }
  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds deadline) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return pred();
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::thread thread_;
  redis::Endpoint endpoint_;
  std::string key_;
  std::vector<std::shared_ptr<redis::Connection>> connections_;
  std::shared_ptr<redis::Connection> admin_;  // the test's own commands
  std::vector<std::shared_ptr<LeaderLease>> leases_;
};

TEST_F(LeaderLeaseTest, ExactlyOneLeaderAndTakeoverWithinTwoLeasePeriods) {
  auto a = lease("worker-a");
  a->start();
  ASSERT_TRUE(eventually([&] { return a->is_leader(); }, 2s));
  auto b = lease("worker-b");
  b->start();
  std::this_thread::sleep_for(kLease);  // b has retried at least twice
  EXPECT_TRUE(a->is_leader());
  EXPECT_FALSE(b->is_leader());
  auto holder = run({"GET", key_});
  ASSERT_TRUE(holder.string());
  EXPECT_EQ(*holder.string(), "worker-a");

  const auto crashed_at = std::chrono::steady_clock::now();
  a->abandon();  // a crash: no release, the key must expire
  ASSERT_TRUE(eventually([&] { return !a->is_leader(); }, 200ms));
  ASSERT_TRUE(eventually([&] { return b->is_leader(); }, 2 * kLease + 200ms));
  EXPECT_LE(std::chrono::steady_clock::now() - crashed_at, 2 * kLease + 200ms);
}

TEST_F(LeaderLeaseTest, ALeaderWhoseKeyWasTakenStopsAtItsNextRenewal) {
  auto a = lease("worker-a");
  a->start();
  ASSERT_TRUE(eventually([&] { return a->is_leader(); }, 2s));
  auto set = run({"SET", key_, "someone-else", "PX", "60000"});
  ASSERT_TRUE(set.string());
  EXPECT_TRUE(eventually([&] { return !a->is_leader(); }, kLease / 3 + 200ms));
  // The renewal script did not extend someone else's key.
  auto ttl = run({"PTTL", key_}).integer();
  ASSERT_TRUE(ttl);
  EXPECT_GT(*ttl, 50000);
  EXPECT_EQ(*run({"GET", key_}).string(), "someone-else");
}

TEST_F(LeaderLeaseTest, StopReleasesTheKeyForAQuickHandOver) {
  auto a = lease("worker-a");
  a->start();
  ASSERT_TRUE(eventually([&] { return a->is_leader(); }, 2s));
  auto b = lease("worker-b");
  b->start();
  a->stop();
  EXPECT_TRUE(eventually([&] { return b->is_leader(); }, kLease / 3 + 300ms));
  EXPECT_FALSE(a->is_leader());
}

TEST_F(LeaderLeaseTest, AStandbyReplacesALeaderWhoseConnectionIsGoneWithoutWaitingForTheLease) {
  constexpr auto kLong = 30s;  // the key would outlive the test
  auto leader_connection = connection();
  auto a = lease("worker-a", kLong, leader_connection);
  a->start();
  ASSERT_TRUE(eventually([&] { return a->is_leader(); }, 2s));
  auto b = lease("worker-b", kLong);
  b->start();
  std::this_thread::sleep_for(300ms);  // b checked a few times and found a connected
  EXPECT_FALSE(b->is_leader());
  EXPECT_TRUE(a->is_leader());

  // What SIGKILL does to a leader: its socket closes, Redis drops the client, the key stays.
  const auto killed_at = std::chrono::steady_clock::now();
  a->abandon();
  leader_connection->stop();
  ASSERT_TRUE(eventually([&] { return b->is_leader(); }, 3s));
  const auto took = std::chrono::steady_clock::now() - killed_at;
  EXPECT_LT(took, 1s) << "the standby waited instead of proving the leader gone";
  EXPECT_FALSE(a->is_leader());
  EXPECT_EQ(*run({"GET", key_}).string(), "worker-b");
  auto ttl = run({"PTTL", key_}).integer();
  ASSERT_TRUE(ttl);
  EXPECT_GT(*ttl, 20000);  // b's own lease, not a's remainder
}

TEST_F(LeaderLeaseTest, ALeaderWhoseConnectionDropsLeadsAgainOnlyAfterARenewalThere) {
  auto leader_connection = connection();
  auto a = lease("worker-a", 30s, leader_connection);
  a->start();
  ASSERT_TRUE(eventually([&] { return a->is_leader(); }, 2s));
  // Redis drops a's connection (as on a restart or a network cut); it reconnects by itself,
  // and a renewal on the new connection puts its name back before a leads again.
  auto before = run({"CLIENT", "LIST", "TYPE", "normal"});
  ASSERT_TRUE(before.string());
  const auto at = before.string()->find(" name=pulseboard-lease:worker-a ");
  ASSERT_NE(at, std::string::npos) << *before.string();
  const auto line = before.string()->rfind("id=", at);
  ASSERT_NE(line, std::string::npos);
  const std::string id =
      before.string()->substr(line + 3, before.string()->find(' ', line) - line - 3);
  auto killed = run({"CLIENT", "KILL", "ID", id});
  ASSERT_EQ(killed.integer().value_or(0), 1) << id;
  ASSERT_TRUE(eventually([&] { return leader_connection->sessions() >= 2 && a->is_leader(); }, 3s));
  auto list = run({"CLIENT", "LIST", "TYPE", "normal"});
  ASSERT_TRUE(list.string());
  EXPECT_NE(list.string()->find("name=pulseboard-lease:worker-a "), std::string::npos);

  // Once its connection is gone a standby may take over at any moment: a stops at once,
  // however long its lease still runs.
  leader_connection->stop();
  EXPECT_TRUE(eventually([&] { return !a->is_leader(); }, 50ms));
}

TEST_F(LeaderLeaseTest, AHolderThatIsStillConnectedKeepsTheLease) {
  // A key held by a live client of another name (another deployment, an older worker): the
  // standby cannot prove it gone and waits for the key to expire.
  auto holder = connection();
  std::promise<redis::Reply> named;
  holder->command({"CLIENT", "SETNAME", "pulseboard-lease:someone"},
                  [&named](const redis::Reply& r) { named.set_value(r); });
  ASSERT_FALSE(named.get_future().get().is_error());
  std::promise<redis::Reply> set;
  holder->command({"SET", key_, "someone", "PX", "800"},
                  [&set](const redis::Reply& r) { set.set_value(r); });
  ASSERT_TRUE(set.get_future().get().string());
  auto b = lease("worker-b");
  b->start();
  std::this_thread::sleep_for(400ms);
  EXPECT_FALSE(b->is_leader());
  EXPECT_TRUE(eventually([&] { return b->is_leader(); }, 2s));  // after the expiry
}

}  // namespace
}  // namespace pulseboard::worker
