// Connection state recovery in the Socket.IO layer, on one loop with the in-process store or a
// store that never answers: what the client reads, in which order.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/bridge_broadcast.hpp"
#include "polling_session_test.hpp"
#include "recovery/recovery_store_memory.hpp"

namespace pulseboard::gateway {
namespace {

using namespace std::chrono_literals;

// A store that only looks sessions up: what it is asked to keep is dropped.
struct LookupOnlyStore : recovery::RecoveryStore {
  void record(const std::string&, const std::string&, const std::string&,
              const std::string&) override {}
  void save(const recovery::RecoverableSession&, std::chrono::milliseconds) override {}
  void forget(const std::string&, const std::string&) override {}
};

// A store whose answer never comes (Redis hung).
struct SilentStore final : LookupOnlyStore {
  void recover(const std::string&, const std::string&, const std::string&, Done) override {}
};

// A store that answers when the test says so (Redis slow, answering after the deadline).
struct LateStore final : LookupOnlyStore {
  void recover(const std::string&, const std::string&, const std::string&, Done done) override {
    waiting.push_back(std::move(done));
  }
  // Answers the oldest lookup and lets go of it: what it holds (the lookup's deadline timer) must
  // not outlive the loop, which the fixture destroys before the store.
  void answer(recovery::Lookup lookup) {
    Done done = std::move(waiting.front());
    waiting.erase(waiting.begin());
    done(std::move(lookup));
  }
  std::vector<Done> waiting;
};

// A store that answers every lookup with `answer` and counts them.
struct CountingStore final : LookupOnlyStore {
  void recover(const std::string&, const std::string&, const std::string&, Done done) override {
    ++lookups;
    done(answer);
  }
  recovery::Lookup answer;
  int lookups = 0;
};

struct SocketIoRecovery : PollingSessionTest {
  void SetUp() override {
    PollingSessionTest::SetUp();
    ctx.config.default_rooms = {"live-metrics"};
    ctx.config.recovery_deadline = 30ms;
    ctx.set_recovery(std::make_shared<recovery::MemoryRecoveryStore>());
  }
  // What the gateway sends for a bridge message with this eventId.
  void bridge(const std::string& event_id) {
    auto m =
        bridge::parse(R"({"room":"live-metrics","event":"metrics-update","data":{"eventId":")" +
                      event_id + R"("}})");
    ASSERT_TRUE(m);
    std::shared_ptr<const socketio::Broadcast> b = to_broadcast(*m, true);
    record_broadcast(*ctx.stack.socketio().recovery(), *b);
    loop->deliver(b);
  }
  // A new session whose CONNECT asks for socket "p" back from offset "o".
  std::shared_ptr<eio::Session> ask_to_recover() {
    auto s = open_session();
    s->poll_post(R"(40{"pid":"p","offset":"o"})", false, respond());
    return s;
  }
  // The next polling answer of session `s`.
  std::string read(const std::shared_ptr<eio::Session>& s) {
    answers.clear();
    s->poll_get(respond());
    settle();
    return answers.empty() ? std::string() : answers.front();
  }
  static std::string field(const std::string& reply, const std::string& name) {
    auto at = reply.find("\"" + name + "\":\"");
    if (at == std::string::npos) return {};
    at += name.size() + 4;
    return reply.substr(at, reply.find('"', at) - at);
  }
};

TEST_F(SocketIoRecovery, AReconnectGetsItsSocketBackWithTheMissedUpdatesBeforeTheReply) {
  auto first = open_session();
  first->poll_post("40", false, respond());
  const std::string reply = read(first);
  const std::string sid = field(reply, "sid"), pid = field(reply, "pid");
  ASSERT_FALSE(pid.empty()) << reply;
  bridge("e1");
  EXPECT_NE(read(first).find(R"(42["metrics-update",{"eventId":"e1"},"e1"])"), std::string::npos);
  first->close(eio::CloseReason::transport_close);
  settle();
  bridge("e2");
  bridge("e3");

  auto second = open_session();
  second->poll_post(R"(40{"pid":")" + pid + R"(","offset":"e1"})", false, respond());
  settle();
  const std::string got = read(second);
  const auto e2 = got.find(R"("e2"])"), e3 = got.find(R"("e3"])"),
             connect = got.find("40{\"sid\":\"" + sid + "\",\"pid\":\"" + pid + "\"}");
  ASSERT_NE(connect, std::string::npos) << got;
  EXPECT_LT(e2, e3);
  EXPECT_LT(e3, connect) << "missed packets come before the CONNECT reply: " << got;
  EXPECT_EQ(ctx.metrics.recoveries_succeeded.load(), 1u);
  // Back in its room: the next update reaches it, once.
  bridge("e4");
  const std::string live = read(second);
  EXPECT_NE(live.find(R"("e4"])"), std::string::npos) << live;
  second->close(eio::CloseReason::server_shutting_down);
  settle();
}

TEST_F(SocketIoRecovery, AStoreThatDoesNotAnswerGivesAFreshSocketAtTheDeadline) {
  ctx.set_recovery(std::make_shared<SilentStore>());
  auto s = ask_to_recover();
  settle();
  EXPECT_EQ(ctx.metrics.sockets_connected.load(), 0) << "still waiting for the store";
  // At the deadline the client gets a fresh socket instead of waiting for ever.
  settle(100ms);
  const std::string got = read(s);
  EXPECT_NE(got.find("40{\"sid\":"), std::string::npos) << got;
  EXPECT_EQ(ctx.metrics.sockets_connected.load(), 1);
  EXPECT_EQ(ctx.metrics.recoveries_succeeded.load(), 0u);
  // An operator sees it: counted, and no lookup time (no answer came).
  EXPECT_EQ(ctx.metrics.recoveries_timed_out.load(), 1u);
  EXPECT_NE(ctx.metrics.render_prometheus().find("pulseboard_recoveries_timed_out_total 1\n"),
            std::string::npos);
  EXPECT_EQ(ctx.metrics.recovery_lookup_latency.count(), 0u);
  s->close(eio::CloseReason::server_shutting_down);
  settle();
}

TEST_F(SocketIoRecovery, AnAnswerAfterTheDeadlineIsTimedAndChangesNothingForTheClient) {
  auto store = std::make_shared<LateStore>();
  ctx.set_recovery(store);
  auto s = ask_to_recover();
  settle(100ms);
  const std::string fresh = read(s);
  ASSERT_NE(fresh.find("40{\"sid\":"), std::string::npos) << fresh;
  ASSERT_EQ(store->waiting.size(), 1u);
  // The store finally answers with a session to recover: too late, the client has its socket.
  recovery::Recovered late;
  late.session = {"p", "old-sid", "/", "", {}};
  store->answer(recovery::Lookup::of(std::move(late)));
  settle();
  EXPECT_EQ(ctx.metrics.recovery_lookup_latency.count(), 1u);
  EXPECT_NE(ctx.metrics.render_prometheus().find("pulseboard_recovery_lookup_seconds_bucket{le="
                                                 "\"0.025\"} 0\n"),
            std::string::npos)
      << "it waited past the 30 ms deadline";
  EXPECT_EQ(ctx.metrics.recoveries_timed_out.load(), 1u);
  EXPECT_EQ(ctx.metrics.recoveries_succeeded.load(), 0u);
  EXPECT_EQ(ctx.metrics.sockets_connected.load(), 1);
  EXPECT_EQ(read(s).find("old-sid"), std::string::npos);
  s->close(eio::CloseReason::server_shutting_down);
  settle();
}

TEST_F(SocketIoRecovery, AnAnswerInTimeIsTimed) {
  auto store = std::make_shared<CountingStore>();
  ctx.set_recovery(store);
  auto s = ask_to_recover();
  settle();
  EXPECT_NE(read(s).find("40{\"sid\":"), std::string::npos);
  EXPECT_EQ(ctx.metrics.recovery_lookup_latency.count(), 1u);
  EXPECT_EQ(ctx.metrics.recoveries_timed_out.load(), 0u);
  s->close(eio::CloseReason::server_shutting_down);
  settle();
}

TEST_F(SocketIoRecovery, ASecondConnectWhileRecoveringClosesTheSession) {
  ctx.set_recovery(std::make_shared<SilentStore>());
  auto s = open_session();
  s->poll_post(
      "40{\"pid\":\"p\",\"offset\":\"o\"}\x1e"
      "40",
      false, respond());
  settle();
  EXPECT_TRUE(s->closed());
  settle(100ms);  // the deadline finds the session gone
  EXPECT_EQ(ctx.metrics.sockets_connected.load(), 0);
  EXPECT_EQ(loop->rooms.socket_count(), 0u);
}

TEST_F(SocketIoRecovery, AClientThatLeftOnPurposeIsNotRecovered) {
  auto first = open_session();
  first->poll_post("40", false, respond());
  const std::string pid = field(read(first), "pid");
  bridge("e1");
  first->poll_post("41", false, respond());  // DISCONNECT: client namespace disconnect
  settle();
  auto second = open_session();
  second->poll_post(R"(40{"pid":")" + pid + R"(","offset":"e1"})", false, respond());
  settle();
  const std::string got = read(second);
  EXPECT_EQ(field(got, "pid").empty(), false);
  EXPECT_NE(field(got, "pid"), pid) << got;
  EXPECT_EQ(ctx.metrics.recoveries_succeeded.load(), 0u);
  first->close(eio::CloseReason::server_shutting_down);
  second->close(eio::CloseReason::server_shutting_down);
  settle();
}

TEST_F(SocketIoRecovery, AttemptsOverTheRateGetFreshSocketsWithoutAskingTheStore) {
  auto store = std::make_shared<CountingStore>();
  ctx.set_recovery(store);
  const int attempts = int(recovery::RecoveryAttempts::kBurst) + 40;
  for (int i = 0; i < attempts; ++i) {
    auto s = ask_to_recover();
    settle();
    const std::string got = read(s);
    EXPECT_NE(got.find("40{\"sid\":"), std::string::npos) << i << ": " << got;
    s->close(eio::CloseReason::server_shutting_down);
    settle();
  }
  // The same client (no tokens here: its address) past its burst: the store is not asked
  // (but for the attempts its rate gave back while these ran).
  const auto limited = ctx.metrics.recoveries_rate_limited.load();
  EXPECT_GE(store->lookups, int(recovery::RecoveryAttempts::kBurst));
  EXPECT_GT(limited, 0u);
  EXPECT_EQ(store->lookups + int(limited), attempts);
  EXPECT_EQ(ctx.metrics.recoveries_attempted.load(), std::uint64_t(attempts));
  EXPECT_NE(ctx.metrics.render_prometheus().find("pulseboard_recoveries_rate_limited_total " +
                                                 std::to_string(limited) + "\n"),
            std::string::npos);
}

TEST_F(SocketIoRecovery, AnOffsetBeyondTheBoundGetsAFreshSocketAndIsCounted) {
  auto store = std::make_shared<CountingStore>();
  store->answer = recovery::Lookup::too_far_behind();
  ctx.set_recovery(store);
  auto s = ask_to_recover();
  settle();
  const std::string got = read(s);
  EXPECT_NE(got.find("40{\"sid\":"), std::string::npos) << got;
  EXPECT_EQ(ctx.metrics.recoveries_beyond_bound.load(), 1u);
  EXPECT_EQ(ctx.metrics.recoveries_succeeded.load(), 0u);
  EXPECT_NE(ctx.metrics.render_prometheus().find("pulseboard_recoveries_beyond_bound_total 1\n"),
            std::string::npos);
  s->close(eio::CloseReason::server_shutting_down);
  settle();
}

}  // namespace
}  // namespace pulseboard::gateway
