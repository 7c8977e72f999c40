#include "common/clock.hpp"

#include <gtest/gtest.h>

namespace pulseboard {
namespace {

TEST(Iso8601, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_ms(1795838400000), "2026-11-28T04:00:00.000Z");
  EXPECT_EQ(format_iso8601_ms(1795838400123), "2026-11-28T04:00:00.123Z");
  EXPECT_EQ(format_iso8601_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601_ms(951782400000), "2000-02-29T00:00:00.000Z");
}

TEST(Iso8601, ParsesWhatItFormats) {
  for (std::int64_t ms : {0LL, 1795838400123LL, -1LL, 951782400000LL, 253402300799999LL})
    EXPECT_EQ(parse_iso8601_ms(format_iso8601_ms(ms)), ms) << ms;
}

TEST(Iso8601, AcceptsOffsetsAndFractionLengths) {
  EXPECT_EQ(parse_iso8601_ms("2026-11-28T04:00:00Z"), 1795838400000);
  EXPECT_EQ(parse_iso8601_ms("2026-11-28T04:00:00.1Z"), 1795838400100);
  EXPECT_EQ(parse_iso8601_ms("2026-11-28T04:00:00.123456789Z"), 1795838400123);
  EXPECT_EQ(parse_iso8601_ms("2026-11-28T05:30:00.000+01:30"), 1795838400000);
  EXPECT_EQ(parse_iso8601_ms("2026-11-27T23:00:00-05:00"), 1795838400000);
  EXPECT_EQ(parse_iso8601_ms("2026-11-28t04:00:00z"), 1795838400000);
}

TEST(Iso8601, RejectsAnythingElse) {
  for (const char* bad :
       {"", "2026-11-28", "2026-11-28T04:00:00", "2026-11-28 04:00:00Z", "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z", "2026-11-28T24:00:00Z", "2026-11-28T04:60:00Z",
        "2026-11-28T04:00:00.Z", "2026-11-28T04:00:00.1234567890Z", "2026-11-28T04:00:00+0100",
        "2026-11-28T04:00:00Zjunk", "20261128T040000Z", "+2026-11-28T04:00:00Z", "1795838400000"})
    EXPECT_FALSE(parse_iso8601_ms(bad).has_value()) << bad;
}

}  // namespace
}  // namespace pulseboard
