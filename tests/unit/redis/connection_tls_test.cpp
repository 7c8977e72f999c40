// rediss:// against a real redis-server that speaks only TLS and requires a client certificate
// (scripts/lib/redis.sh redis_tls_start; scripts/test exports the PULSEBOARD_REDIS_TLS_*
// variables, and leaves them unset only when redis-server was built without TLS).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <set>

#include "redis/cluster_router.hpp"
#include "redis/connection.hpp"
#include "run_until.hpp"

namespace pulseboard::redis {
namespace {

using testing::run_until;

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The TLS server's endpoint, trusting its CA and showing the client certificate.
std::optional<Endpoint> tls_endpoint(const char* url_variable = "PULSEBOARD_REDIS_TLS_URL") {
  auto url = env_or_empty(url_variable);
  if (url.empty()) return std::nullopt;
  auto ep = parse_url(url);
  if (!ep) {
    ADD_FAILURE() << url_variable << " is set but not accepted: " << url;
    return std::nullopt;
  }
  ep->tls_files = {env_or_empty("PULSEBOARD_REDIS_TLS_CA"),
                   env_or_empty("PULSEBOARD_REDIS_TLS_CLIENT_CERT"),
                   env_or_empty("PULSEBOARD_REDIS_TLS_CLIENT_KEY")};
  return ep;
}

#define REQUIRE_TLS_REDIS(ep)                                                                \
  auto ep = tls_endpoint();                                                                  \
  if (!ep)                                                                                   \
  GTEST_SKIP() << "set PULSEBOARD_REDIS_TLS_URL, _CA, _OTHER_CA, _CLIENT_CERT, _CLIENT_KEY " \
                  "(scripts/lib/redis.sh redis_tls_start) to run"

// The first reply to PING on a fresh connection to `ep`, and whether it ever connected.
struct Outcome {
  Reply reply;
  std::uint64_t sessions = 0;
};
Outcome ping_once(const Endpoint& ep) {
  boost::asio::io_context io;
  auto conn = Connection::create(io.get_executor(), ep, "tls-ping");
  conn->start();
  std::optional<Reply> reply;
  conn->command({"PING"}, [&](const Reply& r) { reply = r; });
  EXPECT_TRUE(run_until(io, [&] { return reply.has_value(); }));
  Outcome out{reply.value_or(Reply::make_error(ErrorKind::connection, "no reply")),
              conn->sessions()};
  conn->stop();
  io.run_for(std::chrono::milliseconds(20));
  return out;
}

TEST(ConnectionTls, CommandsOverRediss) {
  REQUIRE_TLS_REDIS(ep);
  boost::asio::io_context io;
  auto conn = Connection::create(io.get_executor(), *ep, "tls-commands");
  conn->start();
  std::string value(100'000, 'x');  // several TLS records in each direction
  std::optional<Reply> set, get;
  conn->command({"SET", "pulseboard:test:tls", value}, [&](const Reply& r) { set = r; });
  conn->command({"GET", "pulseboard:test:tls"}, [&](const Reply& r) { get = r; });
  ASSERT_TRUE(run_until(io, [&] { return get.has_value(); }));
  ASSERT_FALSE(set->is_error()) << set->error()->message;
  ASSERT_TRUE(get->string());
  EXPECT_EQ(*get->string(), value);
  EXPECT_TRUE(conn->connected());
  conn->stop();
  io.run_for(std::chrono::milliseconds(20));
}

TEST(ConnectionTls, PubSubOverRediss) {
  REQUIRE_TLS_REDIS(ep);
  boost::asio::io_context io;
  auto sub = Connection::create(io.get_executor(), *ep, "tls-sub");
  auto pub = Connection::create(io.get_executor(), *ep, "tls-pub");
  std::vector<std::string> got;
  sub->on_push([&](const Reply& r) {
    auto& a = *r.array();
    if (*a[0].string() == "message") got.push_back(*a[2].string());
  });
  sub->start();
  pub->start();
  std::optional<Reply> confirm;
  sub->command({"SUBSCRIBE", "pulseboard:test:tls-ch"}, [&](const Reply& r) { confirm = r; });
  ASSERT_TRUE(run_until(io, [&] { return confirm.has_value(); }));
  ASSERT_TRUE(confirm->array()) << (confirm->error() ? confirm->error()->message : "");
  pub->command({"PUBLISH", "pulseboard:test:tls-ch", "one"}, nullptr);
  pub->command({"PUBLISH", "pulseboard:test:tls-ch", "two"}, nullptr);
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 2; }));
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
  sub->stop();
  pub->stop();
  io.run_for(std::chrono::milliseconds(20));
}

TEST(ConnectionTls, RefusesServerNotSignedByTheGivenCa) {
  REQUIRE_TLS_REDIS(ep);
  ep->tls_files.ca_file = env_or_empty("PULSEBOARD_REDIS_TLS_OTHER_CA");
  auto out = ping_once(*ep);
  ASSERT_TRUE(out.reply.error());
  EXPECT_EQ(out.reply.error()->kind, ErrorKind::connection);
  EXPECT_NE(out.reply.error()->message.find("certificate verify failed"), std::string::npos)
      << out.reply.error()->message;
  EXPECT_EQ(out.sessions, 0u);
}

TEST(ConnectionTls, RefusesServerWhoseCertificateNamesAnotherHost) {
  REQUIRE_TLS_REDIS(ep);
  // The certificate names 127.0.0.1, ::1 and localhost; "127.1" reaches the same server under a
  // name it does not carry.
  ep->host = "127.1";
  auto out = ping_once(*ep);
  ASSERT_TRUE(out.reply.error());
  EXPECT_NE(out.reply.error()->message.find("hostname mismatch"), std::string::npos)
      << out.reply.error()->message;
  EXPECT_EQ(out.sessions, 0u);
}

TEST(ConnectionTls, SystemStoreDoesNotTrustATestCa) {
  REQUIRE_TLS_REDIS(ep);
  ep->tls_files.ca_file.clear();
  auto out = ping_once(*ep);
  ASSERT_TRUE(out.reply.error());
  EXPECT_EQ(out.sessions, 0u);
}

TEST(ConnectionTls, ServerRequiringAClientCertificateRefusesNone) {
  REQUIRE_TLS_REDIS(ep);
  ep->tls_files.cert_file.clear();
  ep->tls_files.key_file.clear();
  auto out = ping_once(*ep);
  ASSERT_TRUE(out.reply.error());
  EXPECT_EQ(out.reply.error()->kind, ErrorKind::connection);
}

TEST(ConnectionTls, UnreadableCaFileFailsEveryAttempt) {
  REQUIRE_TLS_REDIS(ep);
  ep->tls_files.ca_file = "/nonexistent/ca.pem";
  auto out = ping_once(*ep);
  ASSERT_TRUE(out.reply.error());
  EXPECT_NE(out.reply.error()->message.find("/nonexistent/ca.pem"), std::string::npos)
      << out.reply.error()->message;
  EXPECT_EQ(out.sessions, 0u);
}

TEST(ConnectionTls, PlainUrlToTlsPortFailsCleanly) {
  REQUIRE_TLS_REDIS(ep);
  ep->tls = false;
  auto out = ping_once(*ep);
  ASSERT_TRUE(out.reply.error());
  EXPECT_EQ(out.reply.error()->kind, ErrorKind::connection);
}

// The nodes learnt from CLUSTER SLOTS are dialled with the seed's TLS settings: every key
// reaches its master, and the keys span all three.
TEST(ClusterRouterTls, EveryKeyReachesItsMasterOverTls) {
  auto ep = tls_endpoint("PULSEBOARD_REDIS_TLS_CLUSTER_URL");
  if (!ep) GTEST_SKIP() << "set PULSEBOARD_REDIS_TLS_CLUSTER_URL (redis_tls_cluster_start)";
  boost::asio::io_context io;
  auto router = ClusterRouter::create(io.get_executor(), *ep, "tls-cluster");
  router->start();
  ASSERT_TRUE(run_until(io, [&] { return router->has_slots(); }));
  std::set<std::pair<std::string, int>> masters;
  constexpr int kKeys = 30;
  // Keys on different masters answer in any order: each reply is kept at its key's index.
  std::vector<std::optional<Reply>> replies(kKeys);
  int answered = 0;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = "pulseboard:test:tls:" + std::to_string(i);
    auto owner = router->owner(key);
    ASSERT_TRUE(owner);
    masters.emplace(owner->host, owner->port);
    router->command(key, {"SET", key, std::to_string(i)}, nullptr);
    router->command(key, {"GET", key}, [&, i](const Reply& r) {
      replies[i] = r;
      ++answered;
    });
  }
  ASSERT_TRUE(run_until(io, [&] { return answered == kKeys; }));
  EXPECT_EQ(masters.size(), 3u);
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(replies[i]->string()) << (replies[i]->error() ? replies[i]->error()->message : "");
    EXPECT_EQ(*replies[i]->string(), std::to_string(i));
  }
  router->stop();
  io.run_for(std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace pulseboard::redis
