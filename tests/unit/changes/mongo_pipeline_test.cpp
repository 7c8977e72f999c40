// The article's pipeline over recorded MongoDB change events, as the Mongo source decodes them.
#include <gtest/gtest.h>

#include "changes/mongo_change_decoder.hpp"
#include "pipeline/pipeline.hpp"
#include "recorded.hpp"

namespace pulseboard::changes {
namespace {
namespace json = boost::json;
using pipeline::Pipeline;

json::object change_event(const std::string& file) {
  auto decoded = decode_mongo_change(testing::recorded(file), false);
  return std::get<ChangeEvent>(decoded).document;
}

Pipeline parse_ok(std::string_view text) {
  auto p = Pipeline::parse(text);
  if (auto* e = std::get_if<pipeline::PipelineError>(&p)) ADD_FAILURE() << e->message;
  return std::get<Pipeline>(std::move(p));
}

TEST(Pipeline, CompletedInsertProjectsToTheArticleFields) {
  auto out = Pipeline::article_default().apply(change_event("insert_completed.json"));
  ASSERT_TRUE(out);
  json::object expected{
      {"_id", change_event("insert_completed.json").at("_id")},
      {"id", "oZkt23DVNpeRzR9mPZVx"},
      {"revenue", 129.5},
      {"category", "electronics"},
      {"time", "2024-11-28T04:00:00.120Z"},
  };
  EXPECT_EQ(*out, expected);
}

TEST(Pipeline, PendingInsertIsDropped) {
  EXPECT_FALSE(Pipeline::article_default().apply(change_event("insert_pending.json")));
}

TEST(Pipeline, UpdateToCompletedPasses) {
  auto out = Pipeline::article_default().apply(change_event("update_to_completed.json"));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->at("id"), "QtazKNmrs5P1jl9G2kY7");
  EXPECT_EQ(out->at("revenue"), 42.0);
  EXPECT_EQ(out->at("time"), "2024-11-28T04:00:01.000Z");
}

TEST(Pipeline, ReplaceDeleteAndUnrelatedUpdatesAreDropped) {
  auto p = Pipeline::article_default();
  EXPECT_FALSE(p.apply(change_event("replace_completed.json")));  // not in $in
  EXPECT_FALSE(p.apply(change_event("delete.json")));
  EXPECT_FALSE(p.apply(change_event("update_other_field.json")));
}

TEST(Pipeline, ComparisonAndExistenceOperators) {
  auto doc = change_event("insert_completed.json");
  EXPECT_TRUE(
      parse_ok(R"([{"$match":{"fullDocument.amount":{"$gt":100,"$lte":129.5}}}])").apply(doc));
  EXPECT_FALSE(parse_ok(R"([{"$match":{"fullDocument.amount":{"$lt":100}}}])").apply(doc));
  EXPECT_TRUE(parse_ok(R"([{"$match":{"fullDocument.category":{"$nin":["books"]}}}])").apply(doc));
  EXPECT_FALSE(
      parse_ok(R"([{"$match":{"fullDocument.category":{"$ne":"electronics"}}}])").apply(doc));
  EXPECT_TRUE(parse_ok(R"([{"$match":{"updateDescription":{"$exists":false}}}])").apply(doc));
  EXPECT_FALSE(parse_ok(R"([{"$match":{"fullDocument.status":{"$exists":false}}}])").apply(doc));
  EXPECT_TRUE(
      parse_ok(R"([{"$match":{"fullDocument.createdAt":{"$gte":"2024-11-28T00:00:00.000Z"}}}])")
          .apply(doc));
  // Different types never order against each other.
  EXPECT_FALSE(parse_ok(R"([{"$match":{"fullDocument.amount":{"$gt":"1"}}}])").apply(doc));
  EXPECT_TRUE(
      parse_ok(
          R"([{"$match":{"$or":[{"fullDocument.status":"pending"},{"fullDocument.amount":129.5}]}}])")
          .apply(doc));
}

TEST(Pipeline, ProjectionInclusionExclusionAndDottedOutput) {
  auto doc = change_event("insert_completed.json");
  auto out =
      parse_ok(R"([{"$project":{"_id":0,"fullDocument.status":1,"o.kind":"$operationType"}}])")
          .apply(doc);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, json::parse(R"({"fullDocument":{"status":"completed"},"o":{"kind":"insert"}})"));
  auto excluded = parse_ok(R"([{"$project":{"fullDocument":0,"ns":0}}])").apply(doc);
  ASSERT_TRUE(excluded);
  EXPECT_FALSE(excluded->contains("fullDocument"));
  EXPECT_TRUE(excluded->contains("operationType"));
}

}  // namespace
}  // namespace pulseboard::changes
