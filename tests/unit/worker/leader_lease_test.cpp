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
  std::shared_ptr<LeaderLease> lease(std::string id) {
    auto l = LeaderLease::create(io_.get_executor(), connection(),
                                 LeaderLease::Options{key_, std::move(id), kLease});
    leases_.push_back(l);
    return l;
  }
  redis::Reply run(std::vector<std::string> args) {
    std::promise<redis::Reply> p;
    auto c = connections_.empty() ? connection() : connections_.front();
    c->command(std::move(args), [&p](const redis::Reply& r) { p.set_value(r); });
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

}  // namespace
}  // namespace pulseboard::worker
