#include "store/order.hpp"
#include "store/cursor.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace pulseboard::store {
namespace {

TEST(Order, JsonIsTheContractForm) {
  Order o{"abcdefghijklmnopqrst", 19.99,        OrderStatus::completed, "books",
          1795838400000,          1795838400123};
  EXPECT_EQ(to_json_string(o),
            R"({"id":"abcdefghijklmnopqrst","amount":19.99,"status":"completed",)"
            R"("category":"books","createdAt":"2026-11-28T04:00:00.000Z",)"
            R"("updatedAt":"2026-11-28T04:00:00.123Z"})");
  EXPECT_EQ(order_from_json(boost::json::parse(to_json_string(o))), o);
}

TEST(Order, ReadsIntegerAmounts) {
  auto o = order_from_json(boost::json::parse(
      R"({"id":"x","amount":5,"status":"pending","category":"c",)"
      R"("createdAt":"2026-11-28T04:00:00.000Z","updatedAt":"2026-11-28T04:00:00.000Z"})"));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->amount, 5.0);
}

TEST(Order, RejectsMissingOrMistypedFields) {
  for (
      const char* bad : {
          R"([])",
          R"({"amount":5,"status":"pending","category":"c","createdAt":"2026-11-28T04:00:00.000Z","updatedAt":"2026-11-28T04:00:00.000Z"})",
          R"({"id":"x","amount":"5","status":"pending","category":"c","createdAt":"2026-11-28T04:00:00.000Z","updatedAt":"2026-11-28T04:00:00.000Z"})",
          R"({"id":"x","amount":5,"status":"shipped","category":"c","createdAt":"2026-11-28T04:00:00.000Z","updatedAt":"2026-11-28T04:00:00.000Z"})",
          R"({"id":"x","amount":5,"status":"pending","category":"c","createdAt":"yesterday","updatedAt":"2026-11-28T04:00:00.000Z"})",
      })
    EXPECT_FALSE(order_from_json(boost::json::parse(bad))) << bad;
}

TEST(OrderStatus, NamesRoundTripAndAreCaseSensitive) {
  for (OrderStatus s : kOrderStatuses) EXPECT_EQ(parse_order_status(to_string(s)), s);
  EXPECT_FALSE(parse_order_status("Pending"));
  EXPECT_FALSE(parse_order_status(""));
}

TEST(Cursor, RoundTripsAndIsOpaqueUrlSafe) {
  auto c = encode_cursor(1795838400123, "ab-_CD");
  EXPECT_EQ(c.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  auto pos = decode_cursor(c);
  ASSERT_TRUE(pos);
  EXPECT_EQ(pos->created_at_ms, 1795838400123);
  EXPECT_EQ(pos->id, "ab-_CD");
}

TEST(Cursor, RejectsForgedOrDamagedCursors) {
  EXPECT_FALSE(decode_cursor(""));
  EXPECT_FALSE(decode_cursor("!!!"));
  EXPECT_FALSE(decode_cursor(encode_cursor(5, "")));
  EXPECT_FALSE(decode_cursor("MTIz"));      // "123": no colon
  EXPECT_FALSE(decode_cursor("YWJjOmlk"));  // "abc:id": not a number
  EXPECT_FALSE(decode_cursor(encode_cursor(5, std::string(65, 'x'))));
}

// Positions no issued cursor holds, which some databases refuse as values.
TEST(Cursor, RejectsPositionsTheServerNeverIssues) {
  using namespace std::string_literals;
  EXPECT_FALSE(decode_cursor(encode_cursor(-1, "abc")));
  EXPECT_FALSE(decode_cursor(encode_cursor(-99999999999999, "abc")));
  EXPECT_FALSE(decode_cursor(encode_cursor(253402300800000, "abc")));  // year 10000
  EXPECT_FALSE(decode_cursor(encode_cursor(1, "\xff\xfe")));
  EXPECT_FALSE(decode_cursor(encode_cursor(1, "a\0b"s)));
  EXPECT_FALSE(decode_cursor(encode_cursor(1, "a b")));
  EXPECT_FALSE(decode_cursor(encode_cursor(1, "a/b")));
  EXPECT_TRUE(decode_cursor(encode_cursor(0, "abc")));
  EXPECT_TRUE(decode_cursor(encode_cursor(253402300799999, std::string(64, 'x'))));
}

}  // namespace
}  // namespace pulseboard::store
