#include "pipeline/pipeline.hpp"

#include <gtest/gtest.h>

namespace pulseboard::pipeline {
namespace {
namespace json = boost::json;

std::string parse_error(std::string_view text) {
  auto p = Pipeline::parse(text);
  if (auto* e = std::get_if<PipelineError>(&p)) return e->message;
  return "";
}

TEST(Pipeline, UnsupportedOperatorsAreRejectedAtLoad) {
  EXPECT_NE(parse_error(R"([{"$group":{"_id":null}}])").find("unsupported stage $group"),
            std::string::npos);
  EXPECT_NE(parse_error(R"([{"$match":{"a":{"$regex":"x"}}}])").find("unsupported operator $regex"),
            std::string::npos);
  EXPECT_NE(parse_error(R"([{"$match":{"$where":"1"}}])").find("$where"), std::string::npos);
  EXPECT_NE(parse_error(R"([{"$project":{"a":{"$concat":["x"]}}}])").find("unsupported expression"),
            std::string::npos);
  EXPECT_NE(parse_error(R"([{"$project":{"a":1,"b":0}}])").find("cannot mix"), std::string::npos);
  EXPECT_NE(parse_error(R"([{"$match":{"a":{"$in":"x"}}}])").find("needs an array"),
            std::string::npos);
  EXPECT_NE(parse_error("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_error(R"({"$match":{}})").find("array"), std::string::npos);
}

}  // namespace
}  // namespace pulseboard::pipeline
