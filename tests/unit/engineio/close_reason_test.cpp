#include "engineio/close_reason.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

namespace pulseboard::eio {
namespace {

// engine.io's own words for the reasons a client or a peer server can observe; the WebSocket
// close frame and the logs carry them.
TEST(CloseReason, TextIsEngineIoWording) {
  const std::pair<CloseReason, std::string> expected[] = {
      {CloseReason::transport_close, "transport close"},
      {CloseReason::transport_error, "transport error"},
      {CloseReason::ping_timeout, "ping timeout"},
      {CloseReason::parse_error, "parse error"},
      {CloseReason::send_queue_overflow, "send queue overflow"},
      {CloseReason::upgrade_timeout, "upgrade timeout"},
      {CloseReason::server_shutting_down, "server shutting down"},
      {CloseReason::forced_server_close, "forced server close"},
      {CloseReason::connect_timeout, "connect timeout"},
      {CloseReason::namespace_too_long, "namespace too long"},
      {CloseReason::connect_attempts, "too many connect attempts"},
      {CloseReason::connect_rate, "too many connects"},
  };
  std::set<std::string> seen;
  for (const auto& [reason, text] : expected) {
    EXPECT_EQ(to_string(reason), text);
    EXPECT_TRUE(seen.insert(text).second) << text << " names two reasons";
  }
}

TEST(CloseReason, CloseFramePayloadFits) {
  // A close frame's reason text must fit its 123-byte payload limit (RFC 6455 §5.5).
  for (int r = 0; r <= static_cast<int>(CloseReason::connect_rate); ++r)
    EXPECT_LE(to_string(static_cast<CloseReason>(r)).size(), 123u);
}

}  // namespace
}  // namespace pulseboard::eio
