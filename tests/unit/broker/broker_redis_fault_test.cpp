// The Redis broker through a server crash: the test owns a redis-server child process (found on
// PATH) and kills it with SIGKILL while a subscription is live.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdlib>
#include <filesystem>

#include "broker/broker_redis.hpp"
#include "common/ids.hpp"
#include "redis/cluster_slots.hpp"
#include "redis_cluster.hpp"
#include "run_until.hpp"

extern char** environ;

namespace pulseboard::broker {
namespace {

using testing::run_until;

bool have_redis_server() {
  return std::system("command -v redis-server >/dev/null 2>&1") == 0;
}

int free_loopback_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(
      io, {boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(0)});
  return a.local_endpoint().port();
}

class RedisChild {
 public:
  explicit RedisChild(int port) : port_(port), dir_(std::filesystem::temp_directory_path()) {}
  ~RedisChild() { kill(); }

  void start() {
    std::string port = std::to_string(port_);
    std::string dir = dir_.string();
    std::vector<std::string> args{
        "redis-server", "--port", port,          "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no",     "--daemonize", "no",     "--dir",     dir,      "--logfile",
        "/dev/null"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ), 0);
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  int port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

TEST(RedisBrokerFault, SurvivesServerRestartAndResubscribes) {
  if (!have_redis_server()) GTEST_SKIP() << "redis-server is not on PATH";
  int port = free_loopback_port();
  RedisChild server(port);
  server.start();

  boost::asio::io_context io;
  redis::Endpoint ep;
  ep.port = port;
  auto broker = RedisBroker::create(io.get_executor(), ep, RedisBroker::Mode::pubsub);
  std::string channel = "pb:fault:" + random_token(8);
  std::vector<std::string> got;
  broker->subscribe(channel,
                    [&](std::string_view, std::string_view payload) { got.emplace_back(payload); });
  ASSERT_TRUE(run_until(io, [&] { return broker->ready(); }));
  broker->publish(channel, "before", nullptr);
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 1; }));

  server.kill();
  ASSERT_TRUE(run_until(io, [&] { return !broker->ready(); }));
  std::optional<std::error_code> during_outage;
  broker->publish(channel, "lost", [&](std::error_code ec) { during_outage = ec; });
  ASSERT_TRUE(run_until(io, [&] { return during_outage.has_value(); }));
  EXPECT_EQ(*during_outage, redis::make_error_code(redis::ErrorKind::connection));

  server.start();
  // The reconnect backoff is at most 5 s plus jitter; allow two full rounds.
  ASSERT_TRUE(run_until(
      io, [&] { return broker->ready(); }, std::chrono::seconds(15)));
  std::optional<std::error_code> after;
  broker->publish(channel, "after", [&](std::error_code ec) { after = ec; });
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 2 && after; }));
  EXPECT_EQ(got, (std::vector<std::string>{"before", "after"}));
  EXPECT_FALSE(*after);
  broker->stop();
  io.run_for(std::chrono::milliseconds(20));
}

TEST(RedisBrokerSharded, RoutesChannelsOfEverySlotRangeToTheirMaster) {
  const char* url = std::getenv("PULSEBOARD_REDIS_CLUSTER_URL");
  if (!url) GTEST_SKIP() << "PULSEBOARD_REDIS_CLUSTER_URL is not set (scripts/lib/redis.sh)";
  boost::asio::io_context io;
  auto broker =
      RedisBroker::create(io.get_executor(), *redis::parse_url(url), RedisBroker::Mode::sharded);
  // Channels whose slots fall in the low, middle and high thirds of the slot space, so a
  // three-master cluster serves them from three different nodes.
  std::vector<std::string> channels;
  for (int i = 0; channels.size() < 3 && i < 1000; ++i) {
    std::string c = "pb:shard:" + random_token(6);
    std::size_t third = redis::key_slot(c) * 3u / redis::kClusterSlots;
    if (third == channels.size()) channels.push_back(c);
  }
  ASSERT_EQ(channels.size(), 3u);
  std::vector<std::string> got;
  for (auto& c : channels)
    broker->subscribe(c, [&](std::string_view ch, std::string_view) { got.emplace_back(ch); });
  ASSERT_TRUE(run_until(io, [&] { return broker->ready(); }));
  for (auto& c : channels) broker->publish(c, "x", nullptr);
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 3; }));
  std::sort(got.begin(), got.end());
  std::sort(channels.begin(), channels.end());
  EXPECT_EQ(got, channels);
  broker->stop();
  io.run_for(std::chrono::milliseconds(20));
}

// One command on `c`, its reply (a connection error when none comes).
// Redis drops a sharded subscription whose slot moves away (an unsolicited sunsubscribe); the
// broker learns the new map and subscribes again on the master that owns the slot now.
TEST(RedisBrokerSharded, SubscriptionFollowsItsSlotToAnotherMaster) {
  const char* url = std::getenv("PULSEBOARD_REDIS_CLUSTER_URL");
  if (!url) GTEST_SKIP() << "PULSEBOARD_REDIS_CLUSTER_URL is not set (scripts/lib/redis.sh)";
  boost::asio::io_context io;
  auto ep = *redis::parse_url(url);
  auto seed = redis::Connection::create(io.get_executor(), ep, "slots");
  seed->start();
  auto map = redis::SlotMap::parse(testing::run_command(io, *seed, {"CLUSTER", "SLOTS"}), ep.host);
  ASSERT_TRUE(map);
  ASSERT_GE(map->nodes().size(), 2u);
  auto masters = testing::connect_masters(io, ep, *map);
  const std::string channel = "pb:moving:{" + random_token(8) + "}";
  const std::uint16_t slot = redis::key_slot(channel);
  std::size_t from = 0;
  while (!(map->nodes()[from] == map->node_for_slot(slot))) ++from;
  const std::size_t to = (from + 1) % masters.size();

  auto broker = RedisBroker::create(io.get_executor(), ep, RedisBroker::Mode::sharded);
  std::vector<std::string> got;
  broker->subscribe(channel,
                    [&](std::string_view, std::string_view payload) { got.emplace_back(payload); });
  ASSERT_TRUE(run_until(io, [&] { return broker->ready(); }));
  broker->publish(channel, "before", nullptr);
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 1; }));

  ASSERT_TRUE(testing::move_slot(io, slot, *masters[from], *masters[to], masters));
  // Published again until one arrives: what is published before the broker has subscribed on
  // the new master is lost, as Redis pub/sub is at-most-once.
  bool in_flight = false;
  auto arrived_after_move = run_until(
      io,
      [&] {
        if (!in_flight) {
          in_flight = true;
          broker->publish(channel, "after", [&](std::error_code) { in_flight = false; });
        }
        return !got.empty() && got.back() == "after";
      },
      std::chrono::seconds(15));
  EXPECT_TRUE(arrived_after_move);
  EXPECT_TRUE(run_until(io, [&] { return broker->ready(); }));
  auto subscribers = testing::run_command(io, *masters[to], {"PUBSUB", "SHARDNUMSUB", channel});
  // The broker, and only it, subscribed on the new owner.
  EXPECT_TRUE(subscribers.array() && subscribers.array()->size() == 2 &&
              (*subscribers.array())[1].integer() == 1);
  EXPECT_TRUE(testing::move_slot(io, slot, *masters[to], *masters[from],
                                 masters));  // back, for the other tests
  broker->stop();
  for (auto& m : masters) m->stop();
  seed->stop();
  io.run_for(std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace pulseboard::broker
