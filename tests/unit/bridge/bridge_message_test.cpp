// Bridge messages as a hostile publisher on Redis may write them: past a bound a message is
// refused with the bound named (and nothing parsed when it is too large); a malformed one is
// refused with no bound; the text a log line quotes cannot break the line.
#include <gtest/gtest.h>

#include <string>

#include "bridge/bridge_message.hpp"

namespace pulseboard::bridge {
namespace {

using cluster::Bound;

std::string message_with_data(const std::string& data) {
  return R"({"room":"live-metrics","event":"tick","data":)" + data + "}";
}

std::string nested(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

TEST(BridgeMessage, WithinTheBoundsItIsRead) {
  Bound crossed = Bound::memory;
  auto m = parse(message_with_data(R"({"eventId":"7","v":[1,2]})"), limits(), &crossed);
  ASSERT_TRUE(m);
  EXPECT_EQ(crossed, Bound::none);
  EXPECT_EQ(m->room, "live-metrics");
  EXPECT_EQ(m->event, "tick");
  EXPECT_EQ(m->offset, "7");
  EXPECT_EQ(m->args, R"({"eventId":"7","v":[1,2]})");
}

TEST(BridgeMessage, OneByteOverTheSizeBoundIsRefusedUnread) {
  const std::string text = message_with_data(R"("x")");
  Bound crossed = Bound::none;
  EXPECT_TRUE(parse(text, limits(text.size()), &crossed));
  EXPECT_EQ(crossed, Bound::none);
  EXPECT_FALSE(parse(text, limits(text.size() - 1), &crossed));
  EXPECT_EQ(crossed, Bound::message_bytes);
  // Not even looked at: past the size, text that is not JSON counts as too large too.
  EXPECT_FALSE(parse(std::string(2048, '{'), limits(1024), &crossed));
  EXPECT_EQ(crossed, Bound::message_bytes);
}

TEST(BridgeMessage, DefaultSizeBoundIsOneMebibyte) {
  const std::string filler(kDefaultMaxMessage, 'a');
  Bound crossed = Bound::none;
  EXPECT_FALSE(parse(message_with_data('"' + filler + '"'), limits(), &crossed));
  EXPECT_EQ(crossed, Bound::message_bytes);
}

TEST(BridgeMessage, NestingPast64LevelsIsRefused) {
  Bound crossed = Bound::none;
  EXPECT_TRUE(parse(message_with_data(nested(60)), limits(), &crossed));
  EXPECT_EQ(crossed, Bound::none);
  EXPECT_FALSE(parse(message_with_data(nested(100)), limits(), &crossed));
  EXPECT_EQ(crossed, Bound::depth);
}

TEST(BridgeMessage, TooManyValuesAreRefusedBeforeParsing) {
  auto bounds = limits();
  bounds.max_values = 100;
  std::string many = "[0";
  for (int i = 0; i < 200; ++i) many += ",0";
  many += ']';
  Bound crossed = Bound::none;
  EXPECT_FALSE(parse(message_with_data(many), bounds, &crossed));
  EXPECT_EQ(crossed, Bound::values);
}

TEST(BridgeMessage, MalformedIsRefusedWithoutABound) {
  for (const std::string text :
       {"not json\nFORGED", R"({"room":"a"})", R"({"room":"a","event":""})", R"(["room","event"])",
        R"({"room":1,"event":"e"})"}) {
    Bound crossed = Bound::memory;
    EXPECT_FALSE(parse(text, limits(), &crossed)) << text;
    EXPECT_EQ(crossed, Bound::none) << text;
  }
}

TEST(BridgeMessage, WithoutLimitsOnlyTheSizeIsLeftToTheCaller) {
  EXPECT_TRUE(parse(message_with_data(nested(60))));
  EXPECT_FALSE(parse(message_with_data(nested(100))));
  const std::string big(2 * kDefaultMaxMessage, 'a');
  EXPECT_TRUE(parse(message_with_data('"' + big + '"')));
}

TEST(BridgeMessage, LogExcerptEscapesWhatCouldBreakALogLine) {
  EXPECT_EQ(log_excerpt("ok {\"a\":1}"), "ok {\"a\":1}");
  EXPECT_EQ(log_excerpt("a\nFORGED\r\x1b[31m"), "a\\x0aFORGED\\x0d\\x1b[31m");
  EXPECT_EQ(log_excerpt("back\\slash \xc3\xa9"), "back\\x5cslash \\xc3\\xa9");
  EXPECT_EQ(log_excerpt(std::string(10, 'x'), 4), "xxxx...");
  EXPECT_EQ(log_excerpt(std::string("\0", 1)), "\\x00");
}

}  // namespace
}  // namespace pulseboard::bridge
