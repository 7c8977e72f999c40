// The sharded adapter on its own: a fake gateway face (fake_local_sockets.hpp) and a broker that
// records what the adapter subscribes and publishes. Messages are what a Node server's
// ShardedRedisAdapter sends (cluster/sharded_codec.hpp, checked against captures there). What
// a client of a real gateway then receives is tested in tests/unit/gateway/local_sockets_test.cpp.
#include "cluster/adapter_sharded.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <map>

#include "cluster/msgpack.hpp"
#include "fake_local_sockets.hpp"
#include "sharded_node_peer.hpp"

namespace pulseboard::cluster {
namespace {

namespace json = boost::json;
using sharded::Message;
using sharded::MessageType;
using sharded::SubscriptionMode;
using testing::FakeLocalSockets;

constexpr std::string_view kNode = pulseboard::testing::ShardedNodePeer::kUid;

class ShardedAdapterTest : public ::testing::Test, public pulseboard::testing::ShardedNodePeer {
 protected:
  void start(SubscriptionMode mode = SubscriptionMode::dynamic) {
    adapter = ShardedAdapter::start(local, broker, {.key = "socket.io", .mode = mode});
  }

  using ShardedNodePeer::send;
  void send(Message m) { send("socket.io#/#", std::move(m)); }

  FakeLocalSockets local;
  std::shared_ptr<ShardedAdapter> adapter;
};

TEST_F(ShardedAdapterTest, HoldsTheNamespaceAndItsOwnResponseChannel) {
  start();
  EXPECT_EQ(adapter->uid().size(), 16u);
  EXPECT_EQ(adapter->uid().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(broker->subscribes["socket.io#/#"], 1);
  EXPECT_EQ(broker->subscribes["socket.io#/#" + adapter->uid() + "#"], 1);
  EXPECT_EQ(broker->subscribes.size(), 2u);
}

TEST_F(ShardedAdapterTest, DynamicModeHoldsAPublicRoomWhileAnyLoopHasIt) {
  start();
  local.loop_reports("live-metrics", true);
  local.loop_reports("live-metrics", true);
  local.connect("a-socket-id", {});
  EXPECT_EQ(broker->subscribes["socket.io#/#live-metrics#"], 1) << "once for two loops";
  EXPECT_FALSE(broker->subscribes.contains("socket.io#/#a-socket-id#")) << "ids are private";
  local.loop_reports("live-metrics", false);
  EXPECT_FALSE(broker->unsubscribes.contains("socket.io#/#live-metrics#"));
  local.loop_reports("live-metrics", false);
  local.leave("a-socket-id");
  EXPECT_EQ(broker->unsubscribes["socket.io#/#live-metrics#"], 1);
  EXPECT_EQ(adapter->room_channels(), 0u);
}

TEST_F(ShardedAdapterTest, RoomsThatExistedBeforeTheAdapterAreHeld) {
  local.connect("b");
  start();
  EXPECT_EQ(broker->subscribes["socket.io#/#live-metrics#"], 1);
}

TEST_F(ShardedAdapterTest, DynamicPrivateModeAlsoHoldsSocketIds) {
  start(SubscriptionMode::dynamic_private);
  local.connect("a");
  EXPECT_EQ(broker->subscribes["socket.io#/#a#"], 1);
  EXPECT_EQ(broker->subscribes["socket.io#/#live-metrics#"], 1);
}

TEST_F(ShardedAdapterTest, StaticModeHoldsNoRoomChannels) {
  start(SubscriptionMode::static_channels);
  local.connect("a");
  EXPECT_EQ(broker->subscribes.size(), 2u);
}

TEST_F(ShardedAdapterTest, RoomBroadcastOnItsChannelReachesMembersOnly) {
  start();
  auto& a = local.connect("a");
  auto& b = local.connect("b");
  Message join = to(MessageType::sockets_join, {"a"});
  join.rooms = {"room1"};
  send(join);
  ASSERT_EQ(broker->subscribes["socket.io#/#room1#"], 1) << "joined remotely, room now exists";
  send("socket.io#/#room1#", event({"room1"}, {"hello", "world"}));
  ASSERT_EQ(a.received.size(), 1u);
  EXPECT_EQ(json::serialize(a.received[0]), R"(["hello","world"])");
  EXPECT_TRUE(b.received.empty());
}

TEST_F(ShardedAdapterTest, ExceptAndBinaryArguments) {
  start();
  auto& a = local.connect("a");
  auto& b = local.connect("b");
  Message m = event({}, {"bin", msgpack::placeholder(0)}, {"a"});
  m.attachments = {std::string("\x01\x02\x03", 3)};
  send(m);
  EXPECT_TRUE(a.received.empty());
  ASSERT_EQ(b.received.size(), 1u);
  EXPECT_EQ(json::serialize(b.received[0]), R"(["bin",{"_placeholder":true,"num":0}])");
  EXPECT_EQ(b.attachments[0], std::vector<std::string>{std::string("\x01\x02\x03", 3)});
}

TEST_F(ShardedAdapterTest, FetchSocketsAnswersOnTheRequestersChannel) {
  start();
  local.connect("a");
  local.connect("b");
  Message fetch = to(MessageType::fetch_sockets, {"a"});
  fetch.request_id = "r1";
  send(fetch);
  auto r = responses();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, MessageType::fetch_sockets_response);
  EXPECT_EQ(r[0].uid, adapter->uid());
  EXPECT_EQ(r[0].request_id, "r1");
  ASSERT_EQ(r[0].sockets->as_array().size(), 1u);
  auto& socket = r[0].sockets->as_array()[0].as_object();
  EXPECT_EQ(socket.at("id").as_string(), "a");
  auto& rooms = socket.at("rooms").as_array();
  EXPECT_NE(std::find(rooms.begin(), rooms.end(), json::value("live-metrics")), rooms.end());
}

TEST_F(ShardedAdapterTest, ServerSideEmitIsAnsweredWithNullOnlyWhenAnAckIsAsked) {
  start();
  Message emit;
  emit.type = MessageType::server_side_emit;
  emit.packet = json::array{"ping"};
  send(emit);
  EXPECT_TRUE(broker->published.empty());
  emit.request_id = "r2";
  send(emit);
  auto r = responses();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, MessageType::server_side_emit_response);
  EXPECT_EQ(r[0].request_id, "r2");
  EXPECT_EQ(r[0].packet, json::value(nullptr));
}

TEST_F(ShardedAdapterTest, BroadcastWithAckCountsClientsThenForwardsEachAck) {
  start();
  auto& a = local.connect("a");
  local.connect("b");
  Message m = event({"a"}, {"question", 1});
  m.request_id = "r3";
  m.opts->timeout_ms = 1000;
  send(m);
  auto r = responses();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, MessageType::broadcast_client_count);
  EXPECT_EQ(r[0].client_count, 1u);

  ASSERT_EQ(a.received.size(), 1u);
  EXPECT_EQ(json::serialize(a.received[0]), R"(["question",1])");
  ASSERT_EQ(local.acks.size(), 1u);
  local.acks[0](json::object{{"answer", 42}}, {});  // the client's ack
  r = responses();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].type, MessageType::broadcast_ack);
  EXPECT_EQ(r[1].request_id, "r3");
  EXPECT_EQ(r[1].packet, (json::object{{"answer", 42}}));
}

TEST_F(ShardedAdapterTest, DisconnectSocketsEndsTheTargetedSockets) {
  start();
  local.connect("a");
  local.connect("b");
  Message d = to(MessageType::disconnect_sockets, {"a"});
  d.close = false;
  send(d);
  ASSERT_EQ(local.disconnected.size(), 1u);
  EXPECT_EQ(local.disconnected[0], std::make_pair(std::string("a"), false))
      << "DISCONNECT: io server disconnect";
  Message fetch = to(MessageType::fetch_sockets, {});
  fetch.request_id = "r4";
  send(fetch);
  auto r = responses();
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].sockets->as_array().size(), 1u);
  EXPECT_EQ(r[0].sockets->as_array()[0].as_object().at("id").as_string(), "b");
}

TEST_F(ShardedAdapterTest, OwnMessagesOtherNamespacesAndGarbageAreDropped) {
  start();
  local.connect("a");
  auto& handler = broker->handlers["socket.io#/#"];
  Message own = to(MessageType::fetch_sockets, {});
  own.request_id = "r5";
  own.uid = adapter->uid();
  handler("socket.io#/#", sharded::encode(own));
  Message other = own;
  other.uid = std::string(kNode);
  other.nsp = "/admin";
  handler("socket.io#/#", sharded::encode(other));
  for (std::string_view garbage :
       {std::string_view(""), std::string_view("{"), std::string_view("\xc1\x00\xff", 3),
        std::string_view(R"({"type":7,"uid":"x","nsp":"/"})"),
        std::string_view(
            R"({"type":3,"data":{"packet":{"type":9},"opts":{}},"uid":"x","nsp":"/"})")})
    handler("socket.io#/#", garbage);
  EXPECT_TRUE(broker->published.empty());
  EXPECT_EQ(adapter->messages_malformed(), 5u);
  EXPECT_EQ(adapter->messages_received(), 2u) << "the other namespace's and the bad packet's";
  // What the gateway counts on /metrics.
  EXPECT_EQ(local.metrics_.malformed, 5);
  EXPECT_EQ(local.metrics_.received, 2);
}

}  // namespace
}  // namespace pulseboard::cluster
