// The MongoDB rebuild reader's pure parts against recorded documents: the find it sends, and each
// found document as exactly the event its insert change decodes to (docs/streams.md, "Rebuild").
#include <gtest/gtest.h>

#include "changes/mongo_change_decoder.hpp"
#include "changes/table_reader.hpp"
#include "changes/table_reader_mongo.hpp"
#include "recorded.hpp"

namespace pulseboard::changes {
namespace {
namespace json = boost::json;
using testing::recorded;

json::object found(std::size_t i) {
  return recorded("find_signups_reply.json")
      .at("cursor")
      .at("firstBatch")
      .as_array()
      .at(i)
      .as_object();
}

TEST(MongoTableReader, ABareCollectionIsInTheDefaultDatabaseAQualifiedOneInItsOwn) {
  auto bare = mongo_namespace("signups", "dashboard");
  EXPECT_EQ(bare.db, "dashboard");
  EXPECT_EQ(bare.coll, "signups");
  auto qualified = mongo_namespace("billing.payments", "dashboard");
  EXPECT_EQ(qualified.db, "billing");
  EXPECT_EQ(qualified.coll, "payments");
}

TEST(MongoTableReader, FindsTheNewestByTheTimeFieldWithTheLimit) {
  EXPECT_EQ(mongo_newest_find_options("createdAt", 200000),
            json::parse(R"({"sort": {"createdAt": -1}, "limit": 200000})"));
}

// The rebuilt document and its streamed insert are one row: same key, same fields and values,
// same collection; only the position and commit time say "rebuild".
TEST(MongoTableReader, AFoundDocumentIsTheEventItsInsertChangeDecodesTo) {
  auto rebuilt = mongo_rebuild_event(found(0), {"dashboard", "signups"});
  ASSERT_TRUE(rebuilt);
  auto streamed = decode_mongo_change(recorded("insert_signup.json"), false);
  ASSERT_TRUE(std::holds_alternative<ChangeEvent>(streamed));
  const auto& change = std::get<ChangeEvent>(streamed);

  EXPECT_EQ(rebuilt->table, change.table);
  EXPECT_EQ(rebuilt->table, "signups");
  for (std::string_view key : {"operationType", "fullDocument", "documentKey", "ns"})
    EXPECT_EQ(rebuilt->document.at(key), change.document.at(key)) << key;
  EXPECT_EQ(rebuilt->document.at("documentKey").at("_id"), "6748a0f2c3b1e4a5d6f70812");
  EXPECT_EQ(rebuilt->document.at("fullDocument").at("seats"), 12);
  EXPECT_EQ(rebuilt->document.at("fullDocument").at("createdAt"), "2024-11-28T04:00:02.500Z");

  EXPECT_EQ(rebuilt->position, "rebuild");
  EXPECT_EQ(rebuilt->document.at("_id"), json::object({{"position", "rebuild"}}));
  EXPECT_EQ(rebuilt->committed_at_ms, 0);
  EXPECT_EQ(rebuilt->document.at("committedAt"), 0);
  EXPECT_TRUE(rebuilt->event_id.empty());  // the worker names rebuilt rows by their key
  EXPECT_EQ(rebuilt->document.size(), change.document.size());
}

TEST(MongoTableReader, TheInsertChangeCarriesTheDocumentItsKeyAndNamespace) {
  auto change = mongo_insert_change_of(found(1), {"dashboard", "signups"});
  EXPECT_EQ(change.at("operationType"), "insert");
  EXPECT_EQ(change.at("fullDocument"), found(1));
  EXPECT_EQ(change.at("documentKey"), json::object({{"_id", found(1).at("_id")}}));
  EXPECT_EQ(change.at("ns"), json::parse(R"({"db": "dashboard", "coll": "signups"})"));
}

TEST(MongoTableReader, ADocumentWithoutIdIsSkipped) {
  json::object doc = found(1);
  doc.erase("_id");
  EXPECT_FALSE(mongo_rebuild_event(doc, {"dashboard", "signups"}));
}

// mongodb:// URLs get a reader (rebuild), and its collections declare no columns.
TEST(MongoTableReader, OpensForMongoUrlsAndCollectionsHaveNoColumns) {
  std::string error;
  auto reader = open_table_reader("mongodb://127.0.0.1:1/dashboard", &error);
  ASSERT_TRUE(reader) << error;
  auto columns = reader->columns("signups");
  ASSERT_TRUE(std::holds_alternative<std::vector<std::string>>(columns));
  EXPECT_TRUE(std::get<std::vector<std::string>>(columns).empty());
}

// No server: the read fails with a reason (the worker retries it), never a crash or rows.
TEST(MongoTableReader, AnUnreachableServerIsAnError) {
  auto reader = open_table_reader(
      "mongodb://127.0.0.1:1/dashboard?serverSelectionTimeoutMS=200&connectTimeoutMS=200", nullptr);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->reachable());
  auto read = reader->newest("signups", "createdAt", 10);
  ASSERT_TRUE(std::holds_alternative<std::string>(read));
  EXPECT_NE(std::get<std::string>(read).find("dashboard.signups"), std::string::npos);
}

}  // namespace
}  // namespace pulseboard::changes
