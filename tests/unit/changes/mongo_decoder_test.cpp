#include "changes/mongo_change_decoder.hpp"

#include <gtest/gtest.h>

#include "recorded.hpp"

namespace pulseboard::changes {
namespace {
namespace json = boost::json;
using testing::recorded;

ChangeEvent decode_ok(const std::string& file, bool projected = false) {
  auto r = decode_mongo_change(recorded(file), projected);
  if (auto* e = std::get_if<SourceError>(&r)) ADD_FAILURE() << file << ": " << e->message;
  return std::get<ChangeEvent>(std::move(r));
}

TEST(MongoDecoder, InsertBecomesTheContractShape) {
  auto e = decode_ok("insert_completed.json");
  const std::string token = json::serialize(recorded("insert_completed.json").at("_id"));
  EXPECT_EQ(e.position, token);
  EXPECT_EQ(e.event_id,
            "mongo:826741E2A0000000022B022C0100296E5A10046A9C1F5A9B2C4E0F8D3A7B5C1E2F3A4B463C5F"
            "6964003C6F5A6B74323344564E7065527A52396D505A5678000004");
  EXPECT_EQ(e.committed_at_ms, 1732766400250);  // wallTime, finer than clusterTime
  EXPECT_EQ(e.document.at("operationType"), "insert");
  EXPECT_EQ(e.document.at("_id"), json::object({{"position", token}}));
  EXPECT_EQ(e.document.at("committedAt"), 1732766400250);
  EXPECT_EQ(e.document.at("fullDocument"), json::parse(R"({"_id":"oZkt23DVNpeRzR9mPZVx",
      "amount":129.5,"status":"completed","category":"electronics",
      "createdAt":"2024-11-28T04:00:00.120Z","updatedAt":"2024-11-28T04:00:00.120Z","__v":0})"));
}

// The collection routes a change to the streams of that collection (docs/streams.md).
TEST(MongoDecoder, TheChangeNamesItsCollection) {
  EXPECT_EQ(decode_ok("insert_completed.json").table, "orders");
  json::object other = recorded("insert_completed.json");
  other["ns"] = json::object{{"db", "dashboard"}, {"coll", "signups"}};
  auto r = decode_mongo_change(other, false);
  ASSERT_TRUE(std::holds_alternative<ChangeEvent>(r));
  EXPECT_EQ(std::get<ChangeEvent>(r).table, "signups");
  // A server-side projection without `ns`: no table, so every stream takes it.
  EXPECT_EQ(decode_ok("projected_insert.json", true).table, "");
}

TEST(MongoDecoder, CanonicalExtendedJsonNumbersAndDates) {
  auto e = decode_ok("insert_pending.json");
  auto& full = e.document.at("fullDocument").as_object();
  EXPECT_EQ(full.at("amount"), 42.0);
  EXPECT_TRUE(full.at("amount").is_double());
  EXPECT_EQ(full.at("createdAt"), "2024-11-28T04:00:01.000Z");
  EXPECT_EQ(full.at("__v"), 0);
}

TEST(MongoDecoder, UpdateKeepsUpdateDescriptionAndLookedUpDocument) {
  auto e = decode_ok("update_to_completed.json");
  EXPECT_EQ(e.document.at("operationType"), "update");
  EXPECT_EQ(e.document.at("fullDocument").at("status"), "completed");
  EXPECT_EQ(e.document.at("updateDescription").at("updatedFields").at("updatedAt"),
            "2024-11-28T04:00:05.480Z");
}

TEST(MongoDecoder, ReplaceAndDelete) {
  EXPECT_EQ(decode_ok("replace_completed.json").document.at("operationType"), "replace");
  auto del = decode_ok("delete.json");
  EXPECT_EQ(del.document.at("operationType"), "delete");
  EXPECT_FALSE(del.document.contains("fullDocument"));
  EXPECT_EQ(del.document.at("documentKey").at("_id"), "MzkLzpAnQozJRwKZNn00");
}

TEST(MongoDecoder, ClusterTimeIsTheFallbackForCommittedAt) {
  auto doc = recorded("delete.json");
  doc.erase("wallTime");
  auto e = std::get<ChangeEvent>(decode_mongo_change(doc, false));
  EXPECT_EQ(e.committed_at_ms, 1732766408000);
}

TEST(MongoDecoder, InvalidateNeedsAResnapshot) {
  auto r = decode_mongo_change(recorded("invalidate.json"), false);
  ASSERT_TRUE(std::holds_alternative<SourceError>(r));
  EXPECT_EQ(std::get<SourceError>(r).kind, SourceError::Kind::resnapshot_needed);
  EXPECT_NE(std::get<SourceError>(r).message.find("invalidated"), std::string::npos);
}

TEST(MongoDecoder, MissingResumeTokenIsNotSilentlySkipped) {
  auto doc = recorded("insert_completed.json");
  doc.erase("_id");
  auto r = decode_mongo_change(doc, false);
  ASSERT_TRUE(std::holds_alternative<SourceError>(r));
  EXPECT_EQ(std::get<SourceError>(r).kind, SourceError::Kind::resnapshot_needed);
}

TEST(MongoDecoder, ServerSideProjectionIsPublishedAsIs) {
  auto e = decode_ok("projected_insert.json", true);
  EXPECT_EQ(e.committed_at_ms, 1732766400250);
  EXPECT_EQ(e.event_id, decode_ok("insert_completed.json").event_id);  // same change, same id
  json::object expected{{"_id", json::object{{"position", e.position}}},
                        {"id", "oZkt23DVNpeRzR9mPZVx"},
                        {"revenue", 129.5},
                        {"category", "electronics"},
                        {"time", "2024-11-28T04:00:00.120Z"}};
  EXPECT_EQ(e.document, expected);
}

TEST(MongoDecoder, ErrorMapping) {
  EXPECT_EQ(mongo_error_reply_to_source_error(recorded("error_history_lost.json")).kind,
            SourceError::Kind::resnapshot_needed);
  EXPECT_EQ(mongo_error_reply_to_source_error(recorded("error_fatal.json")).kind,
            SourceError::Kind::resnapshot_needed);
  auto not_rs = mongo_error_reply_to_source_error(recorded("error_not_replica_set.json"));
  EXPECT_EQ(not_rs.kind, SourceError::Kind::unavailable);
  EXPECT_NE(not_rs.message.find("replica sets"), std::string::npos);
  EXPECT_NE(not_rs.message.find("40573"), std::string::npos);
  EXPECT_EQ(mongo_error_to_source_error(kMongoInvalidResumeToken, "bad token").kind,
            SourceError::Kind::resnapshot_needed);
  EXPECT_EQ(mongo_error_to_source_error(6, "HostUnreachable").kind, SourceError::Kind::unavailable);
}

}  // namespace
}  // namespace pulseboard::changes

namespace pulseboard::changes {
namespace {

TEST(MongoDecoder, TheCanaryHeartbeatIsACanaryNotAnOrder) {
  for (bool projected : {false, true}) {
    auto r = decode_mongo_change(recorded("canary_upsert.json"), projected);
    ASSERT_TRUE(std::holds_alternative<ChangeEvent>(r)) << projected;
    const auto& e = std::get<ChangeEvent>(r);
    EXPECT_TRUE(e.canary);
    EXPECT_TRUE(e.document.empty()) << "nothing of it may reach the pipeline";
    EXPECT_EQ(e.committed_at_ms, 1732766405125);  // wallTime: what the canary's age is from
    EXPECT_EQ(e.position, boost::json::serialize(recorded("canary_upsert.json").at("_id")));
  }
  // An order is never taken for one.
  EXPECT_FALSE(
      std::get<ChangeEvent>(decode_mongo_change(recorded("insert_completed.json"), false)).canary);
  // Nor is a document that merely looks like the heartbeat in the orders collection.
  auto look_alike = recorded("canary_upsert.json");
  look_alike["ns"] = boost::json::object{{"db", "dashboard"}, {"coll", "orders"}};
  EXPECT_FALSE(std::get<ChangeEvent>(decode_mongo_change(look_alike, false)).canary);
}

}  // namespace
}  // namespace pulseboard::changes
