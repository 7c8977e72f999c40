// RetainedMessages: live messages and messages read back from the broker's store after a
// (re)subscription; a stored one never replaces one that arrived live after the read began.
#include <gtest/gtest.h>

#include <algorithm>

#include "socketio/retained_messages.hpp"

namespace pulseboard::socketio {
namespace {

RetainedMessages::Entry entry(std::string text, std::string event = "metrics-snapshot") {
  return {"/", "live-metrics", std::move(event), {eio::message_frame(text)}};
}

std::vector<std::string> held(const RetainedMessages& r) {
  std::vector<std::string> out;
  for (auto& e : r.for_room("/", "live-metrics")) out.push_back(*e.frames.at(0).data);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RetainedMessages, RestoreFillsWhatTheGatewayNeverSaw) {
  RetainedMessages r;
  auto mark = r.begin_restore();
  EXPECT_TRUE(r.restore(entry("stored"), mark));
  EXPECT_EQ(held(r), std::vector<std::string>{"4stored"});
}

TEST(RetainedMessages, RestoreReplacesWhatArrivedBeforeTheRead) {
  RetainedMessages r;
  r.put(entry("old, before the outage"));
  auto mark = r.begin_restore();
  EXPECT_TRUE(r.restore(entry("published during the outage"), mark));
  EXPECT_EQ(held(r), std::vector<std::string>{"4published during the outage"});
}

TEST(RetainedMessages, ALiveMessageAfterTheReadBeganIsKept) {
  RetainedMessages r;
  r.put(entry("old"));
  auto mark = r.begin_restore();
  r.put(entry("live, newer"));
  EXPECT_FALSE(r.restore(entry("stored, older"), mark));
  EXPECT_EQ(held(r), std::vector<std::string>{"4live, newer"});
}

TEST(RetainedMessages, TheSameMessageIsNotDeliveredAgain) {
  RetainedMessages r;
  r.put(entry("same"));
  EXPECT_FALSE(r.restore(entry("same"), r.begin_restore()));
}

TEST(RetainedMessages, ALaterRestoreReplacesAnEarlierOne) {
  RetainedMessages r;
  EXPECT_TRUE(r.restore(entry("first read"), r.begin_restore()));
  EXPECT_TRUE(r.restore(entry("second read"), r.begin_restore()));
  EXPECT_EQ(held(r), std::vector<std::string>{"4second read"});
}

TEST(RetainedMessages, EachEventOfTheRoomIsKeptSeparately) {
  RetainedMessages r;
  r.put(entry("a", "metrics-snapshot"));
  auto mark = r.begin_restore();
  EXPECT_TRUE(r.restore(entry("b", "status"), mark));
  EXPECT_EQ(held(r), (std::vector<std::string>{"4a", "4b"}));
}

}  // namespace
}  // namespace pulseboard::socketio
