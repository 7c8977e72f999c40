// The oplog headroom behind the MongoDB source's resume token, from recorded server replies.
#include "changes/mongo_oplog_headroom.hpp"

#include <gtest/gtest.h>

#include "recorded.hpp"

namespace pulseboard::changes {
namespace {
namespace json = boost::json;
using testing::recorded;

std::string canary_token() {
  return json::serialize(recorded("canary_upsert.json").at("_id"));
}

TEST(MongoOplogHeadroom, TheTokensClusterTimeIsReadFromItsKeyString) {
  // The recorded event's clusterTime is {t: 1732766405, i: 1}; its token says the same.
  EXPECT_EQ(resume_token_seconds(canary_token()), 1732766405);
  EXPECT_EQ(resume_token_seconds(R"({"_data":"8200000001"})"), 1);
  EXPECT_EQ(resume_token_seconds(R"({"_data":"8300000001"})"), std::nullopt);  // not a Timestamp
  EXPECT_EQ(resume_token_seconds(R"({"_data":"82XYZ"})"), std::nullopt);
  EXPECT_EQ(resume_token_seconds(R"({"_data":"82"})"), std::nullopt);
  EXPECT_EQ(resume_token_seconds(R"({"other":1})"), std::nullopt);
  EXPECT_EQ(resume_token_seconds("not json"), std::nullopt);
}

TEST(MongoOplogHeadroom, TokenTimeMinusTheOldestEntrysTime) {
  auto h = oplog_headroom(canary_token(), recorded("oplog_first_entry.json"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->seconds, 7200);  // 1732766405 - 1732759205
  EXPECT_TRUE(h->bounded);
}

TEST(MongoOplogHeadroom, ATokenOlderThanTheOplogHasNone) {
  auto h =
      oplog_headroom(R"({"_data":"826747B0000000000100"})", recorded("oplog_first_entry.json"));
  ASSERT_TRUE(h);
  EXPECT_LT(h->seconds, 0);  // 0x6747B000 is before the oldest entry: the token is gone
}

TEST(MongoOplogHeadroom, AnOplogThatNeverWrappedIsNotABound) {
  auto h = oplog_headroom(canary_token(), recorded("oplog_first_entry_initiating.json"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->seconds, 405);
  EXPECT_FALSE(h->bounded);
  // Only the set's own no-op says so, not an inserted document with the same words.
  auto lookalike = oplog_headroom(canary_token(), recorded("oplog_first_entry_lookalike.json"));
  ASSERT_TRUE(lookalike);
  EXPECT_TRUE(lookalike->bounded);
}

TEST(MongoOplogHeadroom, NoFigureFromARefusalOrWithoutAToken) {
  EXPECT_FALSE(oplog_headroom(canary_token(), recorded("oplog_first_entry_unauthorized.json")));
  EXPECT_FALSE(oplog_headroom("", recorded("oplog_first_entry.json")));
  EXPECT_FALSE(oplog_headroom(canary_token(), json::parse(R"({"cursor":{"firstBatch":[]},
      "ok":1})")
                                                  .as_object()));
}

TEST(MongoOplogHeadroom, TheCommandReadsOnlyTheOldestEntrysTimeAndMessage) {
  EXPECT_EQ(oplog_first_entry_command(), json::parse(R"({"find":"oplog.rs","filter":{},
      "sort":{"$natural":1},"projection":{"ts":1,"op":1,"o.msg":1,"_id":0},"limit":1,
      "singleBatch":true})"));
}

}  // namespace
}  // namespace pulseboard::changes
