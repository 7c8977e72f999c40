// The canary kind of bridge message: built by the worker, read by every gateway within the same
// bounds as any other bridge message, and never mistaken for (or taken as) a deliverable one.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "bridge/bridge_message.hpp"

namespace pulseboard::bridge {
namespace {

using cluster::Bound;

TEST(BridgeCanary, WhatTheWorkerBuildsEveryGatewayReads) {
  const std::string text =
      to_json(Canary{.committed_at_ms = 1'700'000'000'123, .published_at_ms = 1'700'000'000'456});
  Bound crossed = Bound::memory;
  auto parsed = parse_any(text, limits(), &crossed);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(crossed, Bound::none);
  const auto* c = std::get_if<Canary>(&*parsed);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->committed_at_ms, 1'700'000'000'123);
  EXPECT_EQ(c->published_at_ms, 1'700'000'000'456);
}

TEST(BridgeCanary, AGatewayThatReadsOnlyMessagesRefusesIt) {
  // What a gateway without the canary kind does with one: not a {room, event} message.
  EXPECT_FALSE(parse(to_json(Canary{.committed_at_ms = 5, .published_at_ms = 6})));
}

TEST(BridgeCanary, OrdinaryMessagesStillParseAsMessages) {
  auto parsed =
      parse_any(R"({"room":"r","event":"e","data":{"eventId":"9","committedAt":1234}})", limits());
  ASSERT_TRUE(parsed);
  const auto* m = std::get_if<Message>(&*parsed);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->offset, "9");
  EXPECT_EQ(m->committed_at_ms, 1234);
}

TEST(BridgeCanary, HostileCanariesAreRefused) {
  for (const char* text : {
           R"({"kind":"canary"})",                      // no commit time
           R"({"kind":"canary","committedAt":"12"})",   // not a number
           R"({"kind":"canary","committedAt":-5})",     // before the epoch
           R"({"kind":"canary","committedAt":1e300})",  // past any believable time
           R"({"kind":"canary","committedAt":99999999999999999999999})",
           R"({"kind":"other","committedAt":5})",   // a kind this gateway does not know
           R"({"kind":5,"room":"r","event":"e"})",  // a kind is never a message
           R"(["kind","canary"])",
       }) {
    Bound crossed = Bound::memory;
    EXPECT_FALSE(parse_any(text, limits(), &crossed)) << text;
    EXPECT_EQ(crossed, Bound::none) << text;
  }
}

TEST(BridgeCanary, BoundedLikeEveryBridgeMessage) {
  const std::string text = to_json(Canary{.committed_at_ms = 5, .published_at_ms = 6});
  Bound crossed = Bound::none;
  EXPECT_FALSE(parse_any(text, limits(text.size() - 1), &crossed));
  EXPECT_EQ(crossed, Bound::message_bytes);
  const std::string deep = R"({"kind":"canary","committedAt":5,"x":)" + std::string(100, '[') +
                           std::string(100, ']') + "}";
  EXPECT_FALSE(parse_any(deep, limits(), &crossed));
  EXPECT_EQ(crossed, Bound::depth);
}

TEST(BridgeCanary, CommitTimeOfAMessageIsReadOnlyWhenBelievable) {
  EXPECT_EQ(parse(R"({"room":"r","event":"e","data":{"committedAt":"5"}})")->committed_at_ms, 0);
  EXPECT_EQ(parse(R"({"room":"r","event":"e","data":{"committedAt":-1}})")->committed_at_ms, 0);
  EXPECT_EQ(parse(R"({"room":"r","event":"e","data":[1]})")->committed_at_ms, 0);
  EXPECT_EQ(parse(R"({"room":"r","event":"e","data":{"committedAt":77.9}})")->committed_at_ms, 77);
}

}  // namespace
}  // namespace pulseboard::bridge
