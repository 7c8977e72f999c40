// The MongoDB delivery canary without a server: the heartbeat command the leader sends, the
// replies it reads, and a recorded heartbeat change event through the change stream's own
// pipeline (run here by the worker's evaluator, as the server would run it) and the decoder.
#include "changes/mongo_canary.hpp"

#include <gtest/gtest.h>

#include "changes/mongo_change_decoder.hpp"
#include "db/mongo.hpp"
#include "pipeline/pipeline.hpp"
#include "recorded.hpp"

namespace pulseboard::changes {
namespace {
namespace json = boost::json;
using testing::recorded;

// What the server would send for `event` on a stream opened with `stages`: nullopt when a
// stage filters it out.
std::optional<json::object> through_server(const json::array& stages, const json::object& event) {
  auto parsed = pipeline::Pipeline::parse(json::serialize(stages));
  if (auto* e = std::get_if<pipeline::PipelineError>(&parsed)) {
    ADD_FAILURE() << e->message;
    return std::nullopt;
  }
  return std::get<pipeline::Pipeline>(parsed).apply(event);
}

TEST(MongoCanary, TheHeartbeatIsAnUpsertOfThisWorkersDocumentWithABsonDate) {
  auto command = mongo_canary_command("worker-7", 1732766405120);
  EXPECT_EQ(command, json::parse(R"({"update":"pulseboard_canary","updates":[
      {"q":{"_id":"worker-7"},"u":{"$set":{"at":{"$date":{"$numberLong":"1732766405120"}}}},
       "upsert":true}]})"));
  // libbson reads the date as a BSON date (what the change event brings back as wallTime's
  // sibling `at`), not as a sub-document named $date.
  bson_error_t err;
  auto bson = db::mongo::document_from_json(command, &err);
  ASSERT_TRUE(bson) << err.message;
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, bson.get()));
  ASSERT_TRUE(bson_iter_find_descendant(&it, "updates.0.u.$set.at", &it));
  EXPECT_EQ(bson_iter_type(&it), BSON_TYPE_DATE_TIME);
  EXPECT_EQ(bson_iter_date_time(&it), 1732766405120);
  EXPECT_FALSE(mongo_canary_writer_id().empty());
}

TEST(MongoCanary, WriteRepliesSayWhetherTheHeartbeatWasTaken) {
  EXPECT_EQ(mongo_write_reply_error(recorded("canary_write_reply.json")), std::nullopt);
  auto refused = mongo_write_reply_error(recorded("canary_write_error_reply.json"));
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("writeErrors: not authorized"), std::string::npos) << *refused;
  auto unreplicated = mongo_write_reply_error(recorded("canary_write_concern_error_reply.json"));
  ASSERT_TRUE(unreplicated);
  EXPECT_NE(unreplicated->find("waiting for replication"), std::string::npos) << *unreplicated;
  auto failed = mongo_write_reply_error(recorded("oplog_first_entry_unauthorized.json"));
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->find("not authorized on local"), std::string::npos) << *failed;
}

TEST(MongoCanary, TheStreamFollowsTheOrdersAndTheHeartbeatCollectionOnly) {
  auto stages = mongo_watch_pipeline(pipeline::Pipeline::article_default(), true, {"orders"});
  EXPECT_EQ(stages.front(), json::parse(R"({"$match":{"ns.coll":{"$in":["orders",
      "pulseboard_canary"]}}})"));
  auto other = recorded("insert_completed.json");
  other["ns"] = json::object{{"db", "dashboard"}, {"coll", "customers"}};
  EXPECT_FALSE(through_server(stages, other));
  // Without push-down only the collections are chosen; the worker filters the rest.
  EXPECT_EQ(mongo_watch_pipeline(pipeline::Pipeline::article_default(), false, {"orders"}),
            json::array{stages.front()});
}

TEST(MongoCanary, AStreamFileFollowsEachOfItsCollectionsAndTheHeartbeat) {
  auto stages =
      mongo_watch_pipeline(pipeline::Pipeline::article_default(), false, {"tickets", "signups"});
  EXPECT_EQ(stages, json::parse(R"([{"$match":{"ns.coll":{"$in":["tickets","signups",
      "pulseboard_canary"]}}}])"));
  auto ticket = recorded("insert_completed.json");
  ticket["ns"] = json::object{{"db", "dashboard"}, {"coll", "tickets"}};
  EXPECT_TRUE(through_server(stages, ticket));
  auto orders = recorded("insert_completed.json");  // not in this file
  EXPECT_FALSE(through_server(stages, orders));
}

TEST(MongoCanary, ARecordedHeartbeatPassesThePushedDownPipelineAndDecodesAsACanary) {
  auto stages = mongo_watch_pipeline(pipeline::Pipeline::article_default(), true, {"orders"});
  // The article's $match wants a completed order: the heartbeat is none, and must pass anyway.
  EXPECT_FALSE(pipeline::Pipeline::article_default().apply(recorded("canary_upsert.json")));
  auto sent = through_server(stages, recorded("canary_upsert.json"));
  ASSERT_TRUE(sent);
  auto decoded = decode_mongo_change(*sent, true);
  ASSERT_TRUE(std::holds_alternative<ChangeEvent>(decoded));
  const auto& e = std::get<ChangeEvent>(decoded);
  EXPECT_TRUE(e.canary);
  EXPECT_TRUE(e.document.empty());  // nothing the worker could count as data
  EXPECT_EQ(e.committed_at_ms, 1732766405125);
}

TEST(MongoCanary, OrdersStillArriveProjectedWithoutTheStreamsOwnFields) {
  auto stages = mongo_watch_pipeline(pipeline::Pipeline::article_default(), true, {"orders"});
  EXPECT_FALSE(through_server(stages, recorded("insert_pending.json")));
  auto sent = through_server(stages, recorded("insert_completed.json"));
  ASSERT_TRUE(sent);
  auto e = std::get<ChangeEvent>(decode_mongo_change(*sent, true));
  EXPECT_FALSE(e.canary);
  EXPECT_EQ(e.document.at("id"), "oZkt23DVNpeRzR9mPZVx");
  EXPECT_EQ(e.document.at("revenue"), 129.5);
  EXPECT_FALSE(e.document.contains("ns"));
  EXPECT_FALSE(e.document.contains("clusterTime"));
}

TEST(MongoCanary, AnExclusionProjectionMayNotHideTheHeartbeatsCollection) {
  auto p = pipeline::Pipeline::parse(R"([{"$project":{"ns":0,"updateDescription":0}}])");
  ASSERT_TRUE(std::holds_alternative<pipeline::Pipeline>(p));
  auto stages = mongo_watch_pipeline(std::get<pipeline::Pipeline>(p), true, {"orders"});
  EXPECT_EQ(stages.back(), json::parse(R"({"$project":{"updateDescription":0}})"));
  auto sent = through_server(stages, recorded("canary_upsert.json"));
  ASSERT_TRUE(sent);
  EXPECT_TRUE(std::get<ChangeEvent>(decode_mongo_change(*sent, true)).canary);
}

}  // namespace
}  // namespace pulseboard::changes
