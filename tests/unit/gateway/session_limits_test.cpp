// Rate limits and CONNECT bounds belong to the Engine.IO session: leaving a namespace and
// CONNECTing again must not buy a fresh allowance, and a refused CONNECT must not echo an
// unbounded namespace into a queue the client never reads.
#include <gtest/gtest.h>

#include <string>

#include "polling_session_test.hpp"

namespace pulseboard::gateway {
namespace {

using SessionLimits = PollingSessionTest;

std::string join_packets(const std::vector<std::string>& packets) {
  std::string body;
  for (const auto& p : packets) body += (body.empty() ? "" : "\x1e") + p;
  return body;
}

TEST_F(SessionLimits, TheEventAllowanceOutlivesASocketThatLeavesAndComesBack) {
  ctx.config.events_per_second = 0.001;
  ctx.config.event_burst = 2;
  auto s = open_session("10.0.0.1");
  s->poll_post(join_packets({"40", R"(42["noop"])", R"(42["noop"])", "41", "40", R"(42["noop"])"}),
               false, respond());
  EXPECT_FALSE(s->closed());
  EXPECT_EQ(ctx.metrics.rejected(Rejection::event_rate), 1u);
  EXPECT_EQ(ctx.metrics.sockets_connected.load(), 0);
  s->close(eio::CloseReason::forced_server_close);
  settle();
}

TEST_F(SessionLimits, CONNECTsPastTheBurstCloseTheSession) {
  ctx.config.connects_per_second = 0.001;
  ctx.config.connect_burst = 3;
  auto s = open_session("10.0.0.1");
  s->poll_post(join_packets({"40", "41", "40", "41", "40", "41"}), false, respond());
  EXPECT_FALSE(s->closed());
  s->poll_post("40", false, respond());
  EXPECT_TRUE(s->closed());
  EXPECT_EQ(ctx.metrics.rejected(Rejection::connect_rate), 1u);
  settle();
  EXPECT_EQ(loop->rooms.socket_count(), 0u);
}

TEST_F(SessionLimits, RefusedCONNECTsCountAgainstTheRateToo) {
  ctx.config.connects_per_second = 0.001;
  ctx.config.connect_burst = 2;
  auto s = open_session("10.0.0.1");
  s->poll_post(join_packets({"40/nope", "40/nope", "40"}), false, respond());
  EXPECT_TRUE(s->closed());
  EXPECT_EQ(ctx.metrics.rejected(Rejection::unknown_namespace), 2u);
  EXPECT_EQ(ctx.metrics.rejected(Rejection::connect_rate), 1u);
  settle();
}

TEST_F(SessionLimits, ANamespaceAtTheBoundIsRefusedByName) {
  auto s = open_session("10.0.0.1");
  const std::string nsp = "/" + std::string(socketio::SocketIoClient::kMaxNamespaceBytes - 1, 'n');
  s->poll_post("40" + nsp, false, respond());
  EXPECT_FALSE(s->closed());
  s->poll_get(respond());
  ASSERT_FALSE(answers.empty());
  EXPECT_EQ(answers.back(), "44" + nsp + R"(,{"message":"Invalid namespace"})");
  s->close(eio::CloseReason::forced_server_close);
  settle();
}

TEST_F(SessionLimits, ALongerNamespaceClosesTheSessionWithoutAnEcho) {
  auto s = open_session("10.0.0.1");
  const std::string nsp = "/" + std::string(socketio::SocketIoClient::kMaxNamespaceBytes, 'n');
  s->poll_post("40" + nsp, false, respond());
  EXPECT_TRUE(s->closed());
  EXPECT_EQ(ctx.metrics.rejected(Rejection::namespace_too_long), 1u);
  EXPECT_EQ(ctx.metrics.rejected(Rejection::unknown_namespace), 0u);
  s->poll_get(respond());
  for (const auto& a : answers) EXPECT_EQ(a.find("nnnn"), std::string::npos) << a;
  settle();
}

TEST_F(SessionLimits, CONNECTErrorBytesPerSessionAreBoundedWhateverTheAttemptsAllow) {
  ctx.config.max_connect_attempts = 100000;
  ctx.config.connects_per_second = 0;
  auto s = open_session("10.0.0.1");
  const std::string nsp = "/" + std::string(socketio::SocketIoClient::kMaxNamespaceBytes - 1, 'n');
  std::vector<std::string> packets(200, "40" + nsp);
  s->poll_post(join_packets(packets), false, respond());
  EXPECT_TRUE(s->closed());
  EXPECT_EQ(ctx.metrics.rejected(Rejection::connect_attempts), 1u);
  const auto refused = ctx.metrics.rejected(Rejection::unknown_namespace);
  EXPECT_LT(refused, 200u);
  EXPECT_LE(refused * (nsp.size() + 32),
            socketio::SocketIoClient::kMaxConnectErrorBytes + nsp.size() + 32);
  settle();
}

}  // namespace
}  // namespace pulseboard::gateway
