#include "redis/connection.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>

#include "run_until.hpp"

namespace pulseboard::redis {
namespace {

using testing::run_until;

std::optional<Endpoint> live_endpoint() {
  const char* url = std::getenv("PULSEBOARD_REDIS_URL");
  if (!url) return std::nullopt;
  return parse_url(url);
}

// Nothing listens on port 1, so commands wait for a connection that never comes.
Endpoint unreachable() {
  Endpoint ep;
  ep.port = 1;
  return ep;
}

#define REQUIRE_REDIS(ep)                                                          \
  auto ep = live_endpoint();                                                       \
  if (!ep)                                                                         \
  GTEST_SKIP() << "set PULSEBOARD_REDIS_URL=redis://127.0.0.1:<port> to run (see " \
                  "scripts/lib/redis.sh)"

TEST(Connection, PendingBoundFailsNewCommandsAtOnce) {
  boost::asio::io_context io;
  auto conn = Connection::create(io.get_executor(), unreachable(), "bound", 2);
  std::vector<Reply> replies;
  for (int i = 0; i < 3; ++i)
    conn->command({"PING"}, [&](const Reply& r) { replies.push_back(r); });
  ASSERT_TRUE(run_until(io, [&] { return !replies.empty(); }));
  ASSERT_TRUE(replies[0].error());
  EXPECT_EQ(replies[0].error()->kind, ErrorKind::overloaded);
  conn->stop();
  ASSERT_TRUE(run_until(io, [&] { return replies.size() == 3; }));
  EXPECT_EQ(replies[1].error()->kind, ErrorKind::connection);
  EXPECT_EQ(replies[2].error()->kind, ErrorKind::connection);
}

TEST(Connection, RefusesSubscriptionCommandsWithSeveralChannels) {
  boost::asio::io_context io;
  auto conn = Connection::create(io.get_executor(), unreachable(), "refuse");
  std::optional<Reply> reply;
  conn->command({"SUBSCRIBE", "a", "b"}, [&](const Reply& r) { reply = r; });
  ASSERT_TRUE(run_until(io, [&] { return reply.has_value(); }));
  ASSERT_TRUE(reply->error());
  EXPECT_EQ(reply->error()->kind, ErrorKind::protocol);
}

TEST(Connection, FailedConnectFailsWaitingCommandsAndRetries) {
  boost::asio::io_context io;
  auto conn = Connection::create(io.get_executor(), unreachable(), "refused");
  std::optional<Reply> reply;
  conn->start();
  conn->command({"PING"}, [&](const Reply& r) { reply = r; });
  ASSERT_TRUE(run_until(io, [&] { return reply.has_value(); }));
  ASSERT_TRUE(reply->error());
  EXPECT_EQ(reply->error()->kind, ErrorKind::connection);
  EXPECT_FALSE(conn->connected());
  conn->stop();
  io.run_for(std::chrono::milliseconds(20));
}

TEST(Connection, BinarySafeCommandsInOrder) {
  REQUIRE_REDIS(ep);
  boost::asio::io_context io;
  auto conn = Connection::create(io.get_executor(), *ep, "order");
  conn->start();
  std::string key = "pulseboard:test:bin";
  std::string value("a\0b\r\n\xff", 6);
  std::vector<Reply> replies;
  conn->command({"DEL", key}, [&](const Reply& r) { replies.push_back(r); });
  conn->command({"SET", key, value}, [&](const Reply& r) { replies.push_back(r); });
  conn->command({"GET", key}, [&](const Reply& r) { replies.push_back(r); });
  conn->command({"GET", key + ":missing"}, [&](const Reply& r) { replies.push_back(r); });
  conn->command({"NOSUCHCOMMAND"}, [&](const Reply& r) { replies.push_back(r); });
  conn->command({"RPUSH", key + ":l", "x", "y"}, [&](const Reply&) {});
  conn->command({"LRANGE", key + ":l", "0", "-1"}, [&](const Reply& r) { replies.push_back(r); });
  conn->command({"DEL", key, key + ":l"}, [&](const Reply& r) { replies.push_back(r); });
  ASSERT_TRUE(run_until(io, [&] { return replies.size() == 7; }));
  EXPECT_TRUE(conn->connected());
  ASSERT_TRUE(replies[1].string());
  EXPECT_EQ(*replies[1].string(), "OK");
  ASSERT_TRUE(replies[2].string());
  EXPECT_EQ(*replies[2].string(), value);
  EXPECT_TRUE(replies[3].is_nil());
  ASSERT_TRUE(replies[4].error());
  EXPECT_EQ(replies[4].error()->kind, ErrorKind::server);
  ASSERT_TRUE(replies[5].array());
  ASSERT_EQ(replies[5].array()->size(), 2u);
  EXPECT_EQ(*(*replies[5].array())[1].string(), "y");
  EXPECT_EQ(replies[6].integer(), 2);
  conn->stop();
  io.run_for(std::chrono::milliseconds(20));
}

TEST(Connection, RepliesLargerThanWhatOneTurnReadsArriveWholeAndInOrder) {
  // 40 replies of 300 KB (and 1 byte apart): many reads of the 64 KB buffer, several turns of
  // the 1 MB a turn reads at most, replies split across reads.
  REQUIRE_REDIS(ep);
  boost::asio::io_context io;
  auto conn = Connection::create(io.get_executor(), *ep, "large");
  conn->start();
  const std::string key = "pulseboard:test:large";
  const std::string even(300'000, 'e'), odd(300'001, 'o');
  int stored = 0;
  conn->command({"SET", key + ":0", even}, [&](const Reply&) { ++stored; });
  conn->command({"SET", key + ":1", odd}, [&](const Reply&) { ++stored; });
  std::vector<std::string> got;
  for (int i = 0; i < 40; ++i)
    conn->command({"GET", key + ":" + std::to_string(i % 2)}, [&](const Reply& r) {
      got.push_back(r.string() ? *r.string() : std::string("not a string"));
    });
  conn->command({"DEL", key + ":0", key + ":1"}, [](const Reply&) {});
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 40; }));
  EXPECT_EQ(stored, 2);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(got[i] == (i % 2 ? odd : even)) << i;
  conn->stop();
  io.run_for(std::chrono::milliseconds(20));
}

TEST(Connection, SelectsTheDatabaseFromTheUrl) {
  REQUIRE_REDIS(ep);
  boost::asio::io_context io;
  Endpoint db3 = *ep;
  db3.db = 3;
  auto in_db3 = Connection::create(io.get_executor(), db3, "db3");
  auto in_db0 = Connection::create(io.get_executor(), *ep, "db0");
  in_db3->start();
  in_db0->start();
  std::string key = "pulseboard:test:select";
  std::vector<Reply> replies;
  in_db3->command({"SET", key, "three"}, [&](const Reply& r) { replies.push_back(r); });
  ASSERT_TRUE(run_until(io, [&] { return replies.size() == 1; }));
  std::optional<Reply> from_db0, from_db3;
  in_db0->command({"GET", key}, [&](const Reply& r) { from_db0 = r; });
  in_db3->command({"GET", key}, [&](const Reply& r) { from_db3 = r; });
  ASSERT_TRUE(run_until(io, [&] { return from_db0 && from_db3; }));
  EXPECT_TRUE(from_db0->is_nil());
  ASSERT_TRUE(from_db3->string());
  EXPECT_EQ(*from_db3->string(), "three");
  in_db3->command({"DEL", key}, nullptr);
  in_db3->stop();
  in_db0->stop();
  io.run_for(std::chrono::milliseconds(20));
}

TEST(Connection, SubscribeConfirmsAndPushesMessages) {
  REQUIRE_REDIS(ep);
  boost::asio::io_context io;
  auto sub = Connection::create(io.get_executor(), *ep, "sub");
  auto pub = Connection::create(io.get_executor(), *ep, "pub");
  std::vector<std::string> got;
  sub->on_push([&](const Reply& r) {
    auto& a = *r.array();
    if (*a[0].string() == "message") got.push_back(*a[2].string());
  });
  sub->start();
  pub->start();
  std::optional<Reply> confirm;
  sub->command({"SUBSCRIBE", "pulseboard:test:ch"}, [&](const Reply& r) { confirm = r; });
  ASSERT_TRUE(run_until(io, [&] { return confirm.has_value(); }));
  ASSERT_TRUE(confirm->array());
  EXPECT_EQ(*(*confirm->array())[0].string(), "subscribe");
  std::optional<Reply> pong;
  sub->command({"PING"}, [&](const Reply& r) { pong = r; });
  pub->command({"PUBLISH", "pulseboard:test:ch", "one"}, nullptr);
  pub->command({"PUBLISH", "pulseboard:test:ch", "two"}, nullptr);
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 2 && pong; }));
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
  EXPECT_FALSE(pong->is_error());
  sub->stop();
  pub->stop();
  io.run_for(std::chrono::milliseconds(20));
}

TEST(Connection, ReconnectsAfterServerDropsIt) {
  REQUIRE_REDIS(ep);
  boost::asio::io_context io;
  auto victim = Connection::create(io.get_executor(), *ep, "victim");
  auto admin = Connection::create(io.get_executor(), *ep, "admin");
  int connects = 0, disconnects = 0;
  victim->on_connect([&] { ++connects; });
  victim->on_disconnect([&] { ++disconnects; });
  victim->start();
  admin->start();
  std::optional<Reply> named;
  victim->command({"CLIENT", "SETNAME", "pulseboard-victim"}, [&](const Reply& r) { named = r; });
  ASSERT_TRUE(run_until(io, [&] { return named.has_value() && connects == 1; }));
  std::optional<Reply> id;
  victim->command({"CLIENT", "ID"}, [&](const Reply& r) { id = r; });
  ASSERT_TRUE(run_until(io, [&] { return id.has_value(); }));
  admin->command({"CLIENT", "KILL", "ID", std::to_string(*id->integer())}, nullptr);
  ASSERT_TRUE(run_until(io, [&] { return disconnects == 1; }));
  ASSERT_TRUE(run_until(io, [&] { return connects == 2 && victim->connected(); }));
  std::optional<Reply> pong;
  victim->command({"PING"}, [&](const Reply& r) { pong = r; });
  ASSERT_TRUE(run_until(io, [&] { return pong.has_value(); }));
  EXPECT_EQ(*pong->string(), "PONG");
  victim->stop();
  admin->stop();
  io.run_for(std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace pulseboard::redis
