#include "worker/pipeline.hpp"

#include <gtest/gtest.h>

#include "recorded.hpp"
#include "worker/mongo_change_decoder.hpp"

namespace pulseboard::worker {
namespace {
namespace json = boost::json;

json::object change_event(const std::string& file) {
  auto decoded = decode_mongo_change(testing::recorded(file), false);
  return std::get<ChangeEvent>(decoded).document;
}

Pipeline parse_ok(std::string_view text) {
  auto p = Pipeline::parse(text);
  if (auto* e = std::get_if<PipelineError>(&p)) ADD_FAILURE() << e->message;
  return std::get<Pipeline>(std::move(p));
}

std::string parse_error(std::string_view text) {
  auto p = Pipeline::parse(text);
  if (auto* e = std::get_if<PipelineError>(&p)) return e->message;
  return "";
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

TEST(Pipeline, DefaultPushesDownAsAPostgresRowFilter) {
  auto p = Pipeline::article_default();
  EXPECT_TRUE(p.is_article_default());
  EXPECT_TRUE(can_push_down_to_postgres(p));
  EXPECT_EQ(postgres_row_filter(p), "status = 'completed'");
}

TEST(Pipeline, RowFilterKeepsOnlyExpressibleConjunctsAndQuotes) {
  auto p = parse_ok(
      R"([{"$match":{"operationType":{"$in":["update","insert"]},"fullDocument.category":{"$in":["o'neil","b"]},
                        "fullDocument.amount":{"$gt":5}}}])");
  EXPECT_TRUE(can_push_down_to_postgres(p));
  EXPECT_EQ(postgres_row_filter(p), "category IN ('o''neil', 'b')");
  EXPECT_FALSE(
      can_push_down_to_postgres(parse_ok(R"([{"$match":{"fullDocument.amount":{"$gt":5}}}])")));
  EXPECT_FALSE(can_push_down_to_postgres(
      parse_ok(R"([{"$match":{"operationType":"delete","fullDocument.status":"completed"}}])")));
  EXPECT_FALSE(can_push_down_to_postgres(parse_ok(R"([{"$project":{"a":1}}])")));
}

// A row filter turns an update whose old row did not match into an INSERT (and one that stops
// matching into a DELETE): only a pipeline admitting both insert and update means the same.
TEST(Pipeline, RowFilterOnlyWhenItCannotChangeWhichOperationTypesPass) {
  for (const char* op : {R"("insert")", R"("update")", R"({"$eq":"update"})",
                         R"({"$in":["insert"]})", R"({"$in":["insert","update","delete"]})"}) {
    auto p = parse_ok(std::string(R"([{"$match":{"operationType":)") + op +
                      R"(,"fullDocument.status":"completed"}}])");
    EXPECT_FALSE(can_push_down_to_postgres(p)) << op;
  }
  EXPECT_TRUE(can_push_down_to_postgres(parse_ok(
      R"([{"$match":{"operationType":{"$in":["insert","update"]},"fullDocument.status":"completed"}},
          {"$project":{"id":"$fullDocument._id"}}])")));
  // Projecting or matching operationType later would show the renamed type.
  EXPECT_FALSE(can_push_down_to_postgres(parse_ok(
      R"([{"$match":{"operationType":{"$in":["insert","update"]},"fullDocument.status":"completed"}},
          {"$project":{"op":"$operationType"}}])")));
  EXPECT_FALSE(can_push_down_to_postgres(parse_ok(
      R"([{"$match":{"operationType":{"$in":["insert","update"]},"fullDocument.status":"completed",
                     "$or":[{"operationType":"update"},{"fullDocument.amount":{"$gt":1}}]}}])")));
}

TEST(Pipeline, NoRowFilterBeforePostgres15OrWithoutPushDown) {
  auto p = Pipeline::article_default();
  EXPECT_EQ(publication_row_filter(p, true, 150000), "status = 'completed'");
  EXPECT_EQ(publication_row_filter(p, true, 160002), "status = 'completed'");
  EXPECT_EQ(publication_row_filter(p, true, 140010), "");
  EXPECT_EQ(publication_row_filter(p, false, 150000), "");
  EXPECT_EQ(publication_row_filter(parse_ok(R"([{"$match":{"operationType":"update",
                                     "fullDocument.status":"completed"}}])"),
                                   true, 150000),
            "");
}

}  // namespace
}  // namespace pulseboard::worker
