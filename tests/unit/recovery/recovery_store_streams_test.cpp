// Connection state recovery kept as the Node streams adapter keeps it (recovery_store_streams.hpp):
// what a recovering client is sent from the stream, and, against a real Redis when
// PULSEBOARD_REDIS_URL is set, sessions and stream entries laid out byte for byte as a Node
// server lays them out.
#include "recovery/recovery_store_streams.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <future>
#include <thread>

#include "common/ids.hpp"

namespace pulseboard::recovery {
namespace {
using namespace std::chrono_literals;
namespace streams = cluster::streams;

// A Node server's io.to(room).emit("tick", n) as its stream entry.
streams::Entry tick(std::string id, std::string room, int n, std::string nsp = "/") {
  return {std::move(id), streams::broadcast_fields("702ef147fbb9fe0f", nsp, {std::move(room)},
                                                   "tick", std::to_string(n))};
}

std::string node_session(const std::string& sid, const std::string& pid,
                         std::vector<std::string> rooms, std::string sub = "alice") {
  return streams::encode_session({sid, pid, std::move(rooms), boost::json::object{{"sub", sub}}});
}

TEST(StreamsRecovery, SendsTheSessionsBroadcastsWithTheirEntryIds) {
  auto r = recovered_from_stream("/", "p1", node_session("s1", "p1", {"s1", "live-metrics"}),
                                 {tick("5-0", "live-metrics", 1), tick("5-1", "other", 2),
                                  tick("6-0", "s1", 3), tick("7-0", "live-metrics", 4, "/admin")},
                                 {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->session.sid, "s1");
  EXPECT_EQ(r->session.subject, "alice");
  EXPECT_EQ(r->session.nsp, "/");
  EXPECT_EQ(r->session.rooms, std::vector<std::string>{"live-metrics"});  // not its own id
  ASSERT_EQ(r->packets.size(), 2u);  // not another room's, nor another namespace's
  EXPECT_EQ(r->packets[0].offset, "5-0");
  EXPECT_EQ(r->packets[0].packet, R"(2["tick",1,"5-0"])");
  EXPECT_EQ(r->packets[1].packet, R"(2["tick",3,"6-0"])");  // socket.emit() to its id
}

TEST(StreamsRecovery, HonoursExceptAndSkipsWhatIsNoBroadcast) {
  streams::Entry excepted{"5-0", streams::broadcast_fields("u", "/", {}, "tick", "1")};
  excepted.fields[3].second =
      R"({"packet":{"type":2,"data":["tick",1]},"opts":{"rooms":[],"except":["s1"],"flags":{}}})";
  streams::Entry join{"5-1",
                      {{"uid", "u"},
                       {"nsp", "/"},
                       {"type", "4"},
                       {"data", R"({"opts":{"rooms":[],"except":[]},"rooms":["x"]})"}}};
  streams::Entry garbage{"5-2", {{"uid", "u"}, {"nsp", "/"}, {"type", "3"}, {"data", "{"}}};
  auto r = recovered_from_stream("/", "p1", node_session("s1", "p1", {"s1"}),
                                 {excepted, join, garbage, tick("6-0", "s1", 2)}, {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->packets.size(), 1u);
  EXPECT_EQ(r->packets[0].offset, "6-0");
}

TEST(StreamsRecovery, RefusesWhatItCannotHandOverWhole) {
  // Another pid's session under this key, or no session at all.
  EXPECT_FALSE(recovered_from_stream("/", "p2", node_session("s1", "p1", {"s1"}), {}, {}));
  EXPECT_FALSE(recovered_from_stream("/", "p1", "garbage", {}, {}));
  // A missed broadcast with binary cannot be sent as text: a fresh socket, not a silent gap.
  streams::Entry binary{
      "5-0",
      {{"uid", "u"},
       {"nsp", "/"},
       {"type", "3"},
       {"data",
        "gqZwYWNrZXSCpHR5cGUCpGRhdGGSo2JpbsQDAQIDpG9wdHODpXJvb21zkaFypmV4Y2VwdJClZmxhZ3OA"}}};
  EXPECT_FALSE(
      recovered_from_stream("/", "p1", node_session("s1", "p1", {"s1", "r"}), {binary}, {}));
  // More than kMaxMissed missed.
  std::vector<streams::Entry> many;
  for (std::size_t i = 0; i <= RecoveryStore::kMaxMissed; ++i)
    many.push_back(tick("9-" + std::to_string(i), "s1", 1));
  EXPECT_FALSE(recovered_from_stream("/", "p1", node_session("s1", "p1", {"s1"}), many, {}));
  many.pop_back();
  EXPECT_TRUE(recovered_from_stream("/", "p1", node_session("s1", "p1", {"s1"}), many, {}));
}

class StreamsRecoveryRedis : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("PULSEBOARD_REDIS_URL");
    if (!url || !*url) GTEST_SKIP() << "PULSEBOARD_REDIS_URL is not set";
    auto ep = redis::parse_url(url);
    ASSERT_TRUE(ep);
    connection_ = redis::Connection::create(io_.get_executor(), *ep, "streams-recovery-test");
    connection_->start();
    thread_ = std::thread([this] { io_.run(); });
    stream_ = "test-stream-" + random_token(8);
    prefix_ = "test-session-" + random_token(8) + ":";
    store_ = std::make_shared<StreamsRecoveryStore>(
        connection_,
        StreamsRecoveryStore::Options{
            .stream = stream_, .stream_count = 1, .session_prefix = prefix_, .max_scan = 20});
  }
  void TearDown() override {
    if (connection_) {
      command({"DEL", stream_});
      connection_->stop();
    }
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  redis::Reply command(std::vector<std::string> args) {
    std::promise<redis::Reply> p;
    connection_->command(std::move(args), [&p](const redis::Reply& r) { p.set_value(r); });
    return p.get_future().get();
  }
  // XADD as a Node server: returns the entry id.
  std::string xadd(const std::string& room, int n) {
    std::vector<std::string> args{"XADD", stream_, "MAXLEN", "~", "10000", "*"};
    for (auto& [f, v] : tick("", room, n).fields) {
      args.push_back(f);
      args.push_back(v);
    }
    auto r = command(std::move(args));
    return r.string() ? *r.string() : std::string();
  }
  std::optional<Recovered> recover(const std::string& pid, const std::string& offset) {
    std::promise<Lookup> p;
    store_->recover("/", pid, offset, [&p](Lookup r) { p.set_value(std::move(r)); });
    last_ = p.get_future().get();
    return last_.recovered;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::thread thread_;
  std::shared_ptr<redis::Connection> connection_;
  std::string stream_, prefix_;
  std::shared_ptr<StreamsRecoveryStore> store_;
  Lookup last_;  // what the last recover() answered
};

TEST_F(StreamsRecoveryRedis, SavesSessionsAsTheNodeAdapterReadsThem) {
  store_->save({"p1", "s1", "/", "alice", {"live-metrics"}}, 60s);
  auto value = command({"GET", prefix_ + "p1"});
  ASSERT_TRUE(value.string());
  auto s = streams::decode_session(*value.string());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->sid, "s1");
  EXPECT_EQ(s->rooms, (std::vector<std::string>{"s1", "live-metrics"}));  // its own id first
  EXPECT_EQ(boost::json::serialize(s->data), R"({"sub":"alice"})");
  auto ttl = command({"PTTL", prefix_ + "p1"}).integer();
  ASSERT_TRUE(ttl);
  EXPECT_GT(*ttl, 50000);
  store_->forget("/", "p1");
  EXPECT_TRUE(command({"GET", prefix_ + "p1"}).is_nil());
}

TEST_F(StreamsRecoveryRedis, RecoversANodeSessionOnceWithWhatItMissed) {
  std::string seen = xadd("live-metrics", 1);
  std::string missed = xadd("live-metrics", 2);
  xadd("elsewhere", 3);
  command({"SET", prefix_ + "p1", node_session("s1", "p1", {"s1", "live-metrics"}), "PX", "60000"});
  auto r = recover("p1", seen);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->session.sid, "s1");
  ASSERT_EQ(r->packets.size(), 1u);
  EXPECT_EQ(r->packets[0].offset, missed);
  EXPECT_EQ(r->packets[0].packet, R"(2["tick",2,")" + missed + R"("])");
  EXPECT_FALSE(recover("p1", seen)) << "a session is recovered once";
}

TEST_F(StreamsRecoveryRedis, FailsWhenTheOffsetIsGoneOrTooFarBehind) {
  std::string first = xadd("live-metrics", 1);
  for (int i = 0; i < 25; ++i) xadd("live-metrics", i);
  auto save = [&] {
    command(
        {"SET", prefix_ + "p1", node_session("s1", "p1", {"s1", "live-metrics"}), "PX", "60000"});
  };
  save();
  EXPECT_FALSE(recover("p1", first)) << "25 entries to read, 20 allowed";
  EXPECT_TRUE(last_.beyond_bound);
  save();
  EXPECT_FALSE(recover("p1", "1-0")) << "an offset the stream never had";
  save();
  EXPECT_FALSE(recover("p1", "Q8WD_b5")) << "an in-memory adapter's offset";
  EXPECT_FALSE(recover("unknown", first));
  EXPECT_FALSE(last_.beyond_bound);
}

TEST_F(StreamsRecoveryRedis, RefusesMoreBytesAfterTheOffsetThanTheBound) {
  std::string first = xadd("live-metrics", 1);
  std::string second;
  // Three entries of ~900 kB after `first` (2.7 MB > 2 MiB), two after the next one.
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> args{"XADD", stream_, "*"};
    for (auto& [f, v] : streams::broadcast_fields("702ef147fbb9fe0f", "/", {"live-metrics"}, "tick",
                                                  "\"" + std::string(900'000, 'x') + "\"")) {
      args.push_back(f);
      args.push_back(v);
    }
    auto id = command(std::move(args));
    ASSERT_TRUE(id.string());
    if (i == 0) second = *id.string();
  }
  auto save = [&] {
    command(
        {"SET", prefix_ + "p1", node_session("s1", "p1", {"s1", "live-metrics"}), "PX", "60000"});
  };
  save();
  EXPECT_FALSE(recover("p1", first));
  EXPECT_TRUE(last_.beyond_bound);
  save();
  auto r = recover("p1", second);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->packets.size(), 2u);
}

}  // namespace
}  // namespace pulseboard::recovery
