#include "common/json_text.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

namespace pulseboard {
namespace {

TEST(JsonText, DoublesAreWrittenAsJavaScriptWritesThem) {
  EXPECT_EQ(to_json_text(boost::json::value(42.5)), "42.5");
  EXPECT_EQ(to_json_text(boost::json::value(19.99)), "19.99");
  EXPECT_EQ(to_json_text(boost::json::value(40.0)), "40");
  EXPECT_EQ(to_json_text(boost::json::value(0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(to_json_text(boost::json::value(std::numeric_limits<double>::infinity())), "null");
}

TEST(JsonText, NestedValuesKeepOrderEscapesAndIntegers) {
  auto v = boost::json::parse(R"({"a":[1,-2,3.25,true,null],"q\"":"line\nbreak","n":{"x":1e21}})");
  EXPECT_EQ(to_json_text(v), R"({"a":[1,-2,3.25,true,null],"q\"":"line\nbreak","n":{"x":1e+21}})");
  EXPECT_EQ(boost::json::parse(to_json_text(v)), v);
}

}  // namespace
}  // namespace pulseboard
