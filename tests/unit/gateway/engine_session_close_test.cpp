// A session closed inside one of its own handlers (its send queue overflowed during a CONNECT
// reply or a subscribe) must not free what the handler still uses; under ASan these tests fail
// with a heap use-after-free if close() tears the session down at once.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "polling_session_test.hpp"

namespace pulseboard::gateway {
namespace {

using EngineSessionClose = PollingSessionTest;

TEST_F(EngineSessionClose, OverflowDuringTheConnectReplyClosesTheSessionSafely) {
  ctx.config.max_queued_frames = 4;
  auto s = open_session("10.0.0.1");
  // Four refused CONNECTs (unknown namespace) fill the queue; the valid CONNECT's reply
  // overflows it, and the handler still joins the socket's own room afterwards.
  std::string body;
  for (int i = 0; i < 4; ++i) body += "40/nope,\x1e";
  body += "40";
  s->poll_post(body, false, respond());
  EXPECT_TRUE(s->closed());
  settle();
  EXPECT_EQ(ctx.sessions.find("sid-1"), nullptr);
  EXPECT_EQ(loop->rooms.socket_count(), 0u);
  EXPECT_EQ(ctx.metrics.sockets_connected.load(), 0);
  EXPECT_EQ(ctx.metrics.rejected(Rejection::send_queue_overflow), 1u);
}

TEST_F(EngineSessionClose, OverflowWhileSubscribeSendsRetainedFramesClosesTheSessionSafely) {
  ctx.config.max_queued_frames = 3;
  for (int r = 0; r < 8; ++r)
    ctx.retained.put({"/", "r" + std::to_string(r), "snap", {eio::message_frame("2[\"snap\",1]")}});
  auto s = open_session("10.0.0.1");
  s->poll_post(
      "40\x1e"
      R"(42["subscribe",["r0","r1","r2","r3","r4","r5","r6","r7"]])",
      false, respond());
  EXPECT_TRUE(s->closed());
  settle();
  EXPECT_EQ(ctx.sessions.find("sid-1"), nullptr);
  EXPECT_EQ(loop->rooms.socket_count(), 0u);
  EXPECT_TRUE(loop->rooms.room_names("/").empty());
}

TEST_F(EngineSessionClose, TooManyRefusedConnectsCloseTheSession) {
  ctx.config.max_connect_attempts = 3;
  auto s = open_session("10.0.0.1");
  std::string body;
  for (int i = 0; i < 10; ++i) body += "40/nope,\x1e";
  body += "40";
  s->poll_post(body, false, respond());
  EXPECT_TRUE(s->closed());
  EXPECT_EQ(ctx.metrics.rejected(Rejection::unknown_namespace), 3u);
  EXPECT_EQ(ctx.metrics.rejected(Rejection::connect_attempts), 1u);
  settle();
  EXPECT_EQ(loop->rooms.socket_count(), 0u);
}

TEST_F(EngineSessionClose, RoomsPerSocketAreCapped) {
  ctx.config.max_rooms_per_socket = 2;
  auto s = open_session("10.0.0.1");
  s->poll_post(
      "40\x1e"
      R"(42["subscribe",["a","b","c"]])",
      false, respond());
  EXPECT_FALSE(s->closed());
  EXPECT_EQ(ctx.metrics.rejected(Rejection::room_limit), 1u);
  auto names = loop->rooms.room_names("/");
  EXPECT_EQ(std::count(names.begin(), names.end(), "a"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "c"), 0);
  s->close(eio::CloseReason::forced_server_close);
  settle();
}

TEST_F(EngineSessionClose, ASocketOverTheEventRateIsDisconnected) {
  ctx.config.events_per_second = 1;
  ctx.config.event_burst = 2;
  auto s = open_session("10.0.0.1");
  s->poll_post(
      "40\x1e"
      R"(42["noop"])"
      "\x1e"
      R"(42["noop"])"
      "\x1e"
      R"(42["noop"])",
      false, respond());
  EXPECT_FALSE(s->closed());  // the namespace socket goes, the session stays
  EXPECT_EQ(ctx.metrics.rejected(Rejection::event_rate), 1u);
  EXPECT_EQ(ctx.metrics.sockets_connected.load(), 0);
  s->close(eio::CloseReason::forced_server_close);
  settle();
}

}  // namespace
}  // namespace pulseboard::gateway
