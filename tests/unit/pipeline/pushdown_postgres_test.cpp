#include "pipeline/pushdown_postgres.hpp"

#include <gtest/gtest.h>

namespace pulseboard::pipeline {
namespace {
namespace json = boost::json;

Pipeline parse_ok(std::string_view text) {
  auto p = Pipeline::parse(text);
  if (auto* e = std::get_if<PipelineError>(&p)) ADD_FAILURE() << e->message;
  return std::get<Pipeline>(std::move(p));
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

// Any other table: fullDocument.<column> is the column of that name (quoted), whatever it is
// called; the orders table keeps its contract mapping; streams over one table are OR-ed, and one
// stream without a filter takes every row of its table.
TEST(Pipeline, RowFilterOnAnyTableNamesItsOwnColumns) {
  auto keep = parse_ok(
      R"([{"$match":{"operationType":{"$in":["insert","update"]},"fullDocument.kind_x":"keep",
                     "fullDocument.n":{"$in":[1,2]},"fullDocument.a.b":"nested"}}])");
  EXPECT_TRUE(can_push_down_to_postgres(keep, "t_x"));
  EXPECT_EQ(postgres_row_filter(keep, "public.t_x"), R"("kind_x" = 'keep' AND "n" IN (1, 2))");
  EXPECT_EQ(postgres_row_filter(keep, "orders"), "");  // not contract fields
  auto other = parse_ok(
      R"([{"$match":{"operationType":{"$in":["insert","update"]},"fullDocument.kind_x":"also"}}])");
  EXPECT_EQ(publication_row_filter({&keep, &other}, true, 150000, "t_x"),
            R"(("kind_x" = 'keep' AND "n" IN (1, 2)) OR ("kind_x" = 'also'))");
  auto all = parse_ok(R"([{"$project":{"a":1}}])");
  EXPECT_EQ(publication_row_filter({&keep, &all}, true, 150000, "t_x"), "");
  EXPECT_EQ(publication_row_filter({&keep}, true, 140000, "t_x"), "");
  EXPECT_EQ(publication_row_filter({&keep}, false, 150000, "t_x"), "");
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
}  // namespace pulseboard::pipeline
