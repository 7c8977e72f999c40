#include "api/order_validation.hpp"
#include "store/cursor.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cmath>
#include <limits>

namespace pulseboard::api {
namespace {

using store::OrderStatus;

boost::json::value json(std::string_view text) {
  return boost::json::parse(text);
}

// The rule an input breaks, as "field/rule", or "ok".
template <class T>
std::string outcome(const Validated<T>& v) {
  if (auto* e = std::get_if<ValidationError>(&v)) return e->field + "/" + e->rule;
  return "ok";
}

TEST(ParseJsonBody, ExplainsWhereItBroke) {
  auto r = parse_json_body(R"({"amount": 5,})");
  ASSERT_TRUE(std::holds_alternative<MalformedJson>(r));
  EXPECT_NE(std::get<MalformedJson>(r).message.find("at byte"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<MalformedJson>(parse_json_body("")));
  EXPECT_TRUE(std::holds_alternative<MalformedJson>(parse_json_body(R"({"a":1} {"b":2})")));
  EXPECT_TRUE(std::holds_alternative<MalformedJson>(parse_json_body("{\"a\":\"\xff\"}")));
  EXPECT_TRUE(std::holds_alternative<boost::json::value>(parse_json_body(R"( {"a":1} )")));
}

TEST(ValidateAmount, AcceptsMoney) {
  for (const char* ok : {"0", "1", "19.99", "0.5", "1e3", "1000000000000", "999999999999.99"})
    EXPECT_EQ(outcome(validate_amount(json(ok))), "ok") << ok;
  EXPECT_EQ(std::get<double>(validate_amount(json("19.99"))), 19.99);
}

TEST(ValidateAmount, RejectsEachRule) {
  EXPECT_EQ(outcome(validate_amount(json(R"("5")"))), "amount/type");
  EXPECT_EQ(outcome(validate_amount(json("true"))), "amount/type");
  EXPECT_EQ(outcome(validate_amount(json("null"))), "amount/type");
  EXPECT_EQ(outcome(validate_amount(json("[5]"))), "amount/type");
  EXPECT_EQ(outcome(validate_amount(boost::json::value(std::nan("")))), "amount/finite");
  EXPECT_EQ(outcome(validate_amount(boost::json::value(std::numeric_limits<double>::infinity()))),
            "amount/finite");
  // Boost.JSON reads out-of-range numbers as infinity.
  EXPECT_EQ(outcome(validate_amount(json("1e999"))), "amount/finite");
  EXPECT_EQ(outcome(validate_amount(json("-0.01"))), "amount/non_negative");
  EXPECT_EQ(outcome(validate_amount(json("-3"))), "amount/non_negative");
  // A negative zero is negative (it would be stored and printed as -0); the integer -0 is 0.
  EXPECT_EQ(outcome(validate_amount(json("-0.0"))), "amount/non_negative");
  EXPECT_EQ(outcome(validate_amount(json("-0e0"))), "amount/non_negative");
  EXPECT_EQ(outcome(validate_amount(boost::json::value(-0.0))), "amount/non_negative");
  EXPECT_EQ(outcome(validate_amount(json("-0"))), "ok");
  EXPECT_EQ(outcome(validate_amount(json("0.0"))), "ok");
  EXPECT_EQ(outcome(validate_amount(json("1000000000000.01"))), "amount/max");
  EXPECT_EQ(outcome(validate_amount(json("18446744073709551615"))), "amount/max");
  EXPECT_EQ(outcome(validate_amount(json("1.234"))), "amount/max_2_decimals");
  EXPECT_EQ(outcome(validate_amount(json("0.001"))), "amount/max_2_decimals");
  EXPECT_EQ(outcome(validate_amount(json("0.30000000000000004"))), "amount/max_2_decimals");
}

TEST(ValidateStatus, KnowsTheFourStatuses) {
  for (const char* s : {"pending", "completed", "cancelled", "refunded"})
    EXPECT_EQ(outcome(validate_status(boost::json::value(s))), "ok") << s;
  EXPECT_EQ(outcome(validate_status(json(R"("shipped")"))), "status/enum");
  EXPECT_EQ(outcome(validate_status(json(R"("PENDING")"))), "status/enum");
  EXPECT_EQ(outcome(validate_status(json("1"))), "status/type");
  auto e = std::get<ValidationError>(validate_status(json(R"("x")")));
  EXPECT_NE(e.message.find("pending, completed, cancelled, refunded"), std::string::npos);
}

TEST(ValidateCategory, LengthCountsCharactersNotBytes) {
  EXPECT_EQ(outcome(validate_category(json(R"("books")"))), "ok");
  EXPECT_EQ(outcome(validate_category(boost::json::value(std::string(64, 'x')))), "ok");
  std::string accents;
  for (int i = 0; i < 64; ++i) accents += "\xc3\xa9";  // é: 2 bytes, 1 character
  EXPECT_EQ(outcome(validate_category(boost::json::value(accents))), "ok");
  EXPECT_EQ(outcome(validate_category(boost::json::value(std::string(65, 'x')))),
            "category/length");
  EXPECT_EQ(outcome(validate_category(json(R"("")"))), "category/length");
}

TEST(ValidateCategory, RejectsControlCharactersAndWrongTypes) {
  EXPECT_EQ(outcome(validate_category(json(R"("a\nb")"))), "category/control_chars");
  EXPECT_EQ(outcome(validate_category(json(R"("a\u0000b")"))), "category/control_chars");
  EXPECT_EQ(outcome(validate_category(json(R"("a\u007fb")"))), "category/control_chars");
  EXPECT_EQ(outcome(validate_category(json(R"("a\u0085b")"))), "category/control_chars");
  EXPECT_EQ(outcome(validate_category(json(R"("caf\u00e9 \u00a0ok")"))), "ok");
  EXPECT_EQ(outcome(validate_category(json("5"))), "category/type");
  EXPECT_EQ(outcome(validate_category(json("null"))), "category/type");
}

TEST(CheckCategoryText, RejectsInvalidUtf8FromQueryStrings) {
  for (std::string_view bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"})
    EXPECT_EQ(check_category_text(bad)->rule, "utf8");
  EXPECT_FALSE(check_category_text("\xf0\x9f\x93\x88 charts"));
}

TEST(ValidateNewOrder, BuildsTheOrderWithPendingByDefault) {
  auto v = validate_new_order(json(R"({"amount":12.5,"category":"books"})"));
  ASSERT_EQ(outcome(v), "ok");
  auto o = std::get<store::NewOrder>(v);
  EXPECT_EQ(o.amount, 12.5);
  EXPECT_EQ(o.category, "books");
  EXPECT_EQ(o.status, OrderStatus::pending);
  auto c = validate_new_order(json(R"({"amount":1,"category":"x","status":"completed"})"));
  EXPECT_EQ(std::get<store::NewOrder>(c).status, OrderStatus::completed);
}

TEST(ValidateNewOrder, ReportsTheFirstBrokenRule) {
  EXPECT_EQ(outcome(validate_new_order(json("[]"))), "/object");
  EXPECT_EQ(outcome(validate_new_order(json("5"))), "/object");
  EXPECT_EQ(outcome(validate_new_order(json(R"({"category":"x"})"))), "amount/required");
  EXPECT_EQ(outcome(validate_new_order(json(R"({"amount":1})"))), "category/required");
  EXPECT_EQ(outcome(validate_new_order(json(R"({"amount":1,"category":"x","colour":"red"})"))),
            "colour/unknown_field");
  EXPECT_EQ(outcome(validate_new_order(json(R"({"amout":1,"category":"x"})"))),
            "amout/unknown_field");
  EXPECT_EQ(outcome(validate_new_order(json(R"({"amount":1,"category":"x","id":"abc"})"))),
            "id/read_only");
  EXPECT_EQ(outcome(validate_new_order(json(R"({"amount":1,"category":"x","createdAt":"2026"})"))),
            "createdAt/read_only");
  EXPECT_EQ(outcome(validate_new_order(json(R"({"amount":"1","category":"x"})"))), "amount/type");
  EXPECT_EQ(outcome(validate_new_order(json(R"({"amount":1,"category":""})"))), "category/length");
  EXPECT_EQ(outcome(validate_new_order(json(R"({"amount":1,"category":"x","status":"new"})"))),
            "status/enum");
  EXPECT_EQ(outcome(validate_new_order(json(R"({"amount":1,"category":"x","status":null})"))),
            "status/type");
}

TEST(ValidateOrderPatch, NeedsAtLeastOneField) {
  EXPECT_EQ(outcome(validate_order_patch(json("{}"))), "/at_least_one");
  EXPECT_EQ(outcome(validate_order_patch(json("[]"))), "/object");
  auto p = std::get<store::OrderPatch>(validate_order_patch(json(R"({"status":"refunded"})")));
  EXPECT_EQ(p.status, OrderStatus::refunded);
  EXPECT_FALSE(p.amount);
  auto q = std::get<store::OrderPatch>(validate_order_patch(json(R"({"amount":3})")));
  EXPECT_EQ(q.amount, 3.0);
  EXPECT_FALSE(q.status);
}

TEST(ValidateOrderPatch, CategoryAndTimestampsAreReadOnly) {
  EXPECT_EQ(outcome(validate_order_patch(json(R"({"category":"x"})"))), "category/read_only");
  EXPECT_EQ(outcome(validate_order_patch(json(R"({"updatedAt":"x"})"))), "updatedAt/read_only");
  EXPECT_EQ(outcome(validate_order_patch(json(R"({"status":"done"})"))), "status/enum");
  EXPECT_EQ(outcome(validate_order_patch(json(R"({"amount":-1})"))), "amount/non_negative");
  EXPECT_EQ(outcome(validate_order_patch(json(R"({"amount":1,"note":"x"})"))),
            "note/unknown_field");
}

TEST(ValidateListQuery, ReadsEveryParameter) {
  const auto cursor = store::encode_cursor(1795838400000, "abc");
  auto v = validate_list_query(
      "status=completed&category=home+goods&from=2026-11-28T04:00:00Z"
      "&to=1795838460000&limit=200&cursor=" +
      cursor);
  ASSERT_EQ(outcome(v), "ok");
  auto q = std::get<store::ListQuery>(v);
  EXPECT_EQ(q.status, OrderStatus::completed);
  EXPECT_EQ(q.category, "home goods");
  EXPECT_EQ(q.from_ms, 1795838400000);
  EXPECT_EQ(q.to_ms, 1795838460000);
  EXPECT_EQ(q.limit, 200u);
  EXPECT_EQ(q.cursor, cursor);
  EXPECT_EQ(std::get<store::ListQuery>(validate_list_query("")).limit, 50u);
  EXPECT_EQ(std::get<store::ListQuery>(validate_list_query("category=caf%C3%A9")).category,
            "caf\xc3\xa9");
}

TEST(ValidateListQuery, ReadsOnlyTheViewItIsGiven) {
  // A view into a request target is not NUL-terminated; "limit=50" viewed as "limit=5".
  const std::string target = "limit=50&sort=x";
  auto v = validate_list_query(std::string_view(target).substr(0, 7));
  ASSERT_EQ(outcome(v), "ok");
  EXPECT_EQ(std::get<store::ListQuery>(v).limit, 5u);
}

TEST(ValidateListQuery, RejectsEachBadParameter) {
  EXPECT_EQ(outcome(validate_list_query("status=open")), "status/enum");
  EXPECT_EQ(outcome(validate_list_query("category=")), "category/length");
  EXPECT_EQ(outcome(validate_list_query("category=%0A")), "category/control_chars");
  EXPECT_EQ(outcome(validate_list_query("category=%FF")), "category/utf8");
  EXPECT_EQ(outcome(validate_list_query("from=yesterday")), "from/format");
  EXPECT_EQ(outcome(validate_list_query("to=2026-11-28")), "to/format");
  EXPECT_EQ(outcome(validate_list_query("from=-5")), "from/format");
  EXPECT_EQ(outcome(validate_list_query("from=2000&to=1000")), "to/range");
  EXPECT_EQ(outcome(validate_list_query("from=1000&to=1000")), "to/range");
  for (const char* limit : {"limit=0", "limit=201", "limit=-1", "limit=ten", "limit=", "limit=5x"})
    EXPECT_EQ(outcome(validate_list_query(limit)), "limit/range") << limit;
  EXPECT_EQ(outcome(validate_list_query("cursor=abc")), "cursor/cursor");
  EXPECT_EQ(outcome(validate_list_query("limit=5&limit=6")), "limit/duplicate");
  EXPECT_EQ(outcome(validate_list_query("sort=amount")), "sort/unknown_field");
  EXPECT_EQ(outcome(validate_list_query("status=pending&%ZZ")), "/query_syntax");
}

TEST(CheckIdempotencyKey, VisibleAsciiUpTo255) {
  EXPECT_FALSE(check_idempotency_key("4f0c1b2e-retry-1"));
  EXPECT_FALSE(check_idempotency_key(std::string(255, 'k')));
  EXPECT_TRUE(check_idempotency_key(""));
  EXPECT_TRUE(check_idempotency_key(std::string(256, 'k')));
  EXPECT_TRUE(check_idempotency_key("has space"));
  EXPECT_TRUE(check_idempotency_key("caf\xc3\xa9"));
  EXPECT_EQ(check_idempotency_key("")->field, "Idempotency-Key");
}

TEST(PlausibleOrderId, UrlSafeAlphabetOnly) {
  EXPECT_TRUE(plausible_order_id("AbCdEfGhIj0123456-_x"));
  EXPECT_FALSE(plausible_order_id(""));
  EXPECT_FALSE(plausible_order_id("a%20b"));
  EXPECT_FALSE(plausible_order_id("a.b"));
  EXPECT_FALSE(plausible_order_id(std::string(65, 'a')));
}

TEST(ErrorFieldsJson, EscapesFieldNames) {
  EXPECT_EQ(error_fields_json({"amount", "max", "m"}), R"("field":"amount","rule":"max")");
  EXPECT_EQ(error_fields_json({"", "object", "m"}), R"("rule":"object")");
  EXPECT_EQ(error_fields_json({"a\"b", "unknown_field", "m"}),
            R"("field":"a\"b","rule":"unknown_field")");
}

}  // namespace
}  // namespace pulseboard::api
