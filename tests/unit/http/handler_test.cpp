#include "http/handler.hpp"

#include <gtest/gtest.h>

namespace pulseboard::http {
namespace {

Request with_lines(std::initializer_list<std::string_view> values) {
  Request req;
  for (auto v : values) req.insert("X-Forwarded-For", v);
  return req;
}

TEST(CombinedField, JoinsEveryLineInOrder) {
  EXPECT_EQ(
      combined_field(with_lines({"203.0.113.5", "198.51.100.7, 10.0.0.1"}), "x-forwarded-for"),
      "203.0.113.5, 198.51.100.7, 10.0.0.1");
}

TEST(CombinedField, EmptyLinesAddNothingAndNoLineIsEmpty) {
  EXPECT_EQ(combined_field(with_lines({"", "198.51.100.7"}), "X-Forwarded-For"), "198.51.100.7");
  EXPECT_EQ(combined_field(with_lines({}), "X-Forwarded-For"), "");
}

TEST(CombineFieldLines, LeavesOneLineWithTheWholeList) {
  auto req = with_lines({"203.0.113.5", "198.51.100.7"});
  req.insert("Host", "example");
  combine_field_lines(req, "X-Forwarded-For");
  EXPECT_EQ(req.count("X-Forwarded-For"), 1u);
  EXPECT_EQ(req["X-Forwarded-For"], "203.0.113.5, 198.51.100.7");
  EXPECT_EQ(req["Host"], "example");
}

TEST(CombineFieldLines, OneLineIsLeftAsItIs) {
  auto req = with_lines({"198.51.100.7,10.0.0.1"});
  combine_field_lines(req, "X-Forwarded-For");
  EXPECT_EQ(req.count("X-Forwarded-For"), 1u);
  EXPECT_EQ(req["X-Forwarded-For"], "198.51.100.7,10.0.0.1");
}

}  // namespace
}  // namespace pulseboard::http
