// The gateway's face to the cluster adapters (LoopSockets) under the sharded adapter, on a
// gateway whose two event loops are driven by the test (not started, so everything runs on this
// thread), with long-polling sessions as clients and a broker that records what the adapter
// subscribes and publishes: what a client receives when another server broadcasts, joins,
// fetches or disconnects. Messages are what a Node server's ShardedRedisAdapter sends
// (cluster/sharded_codec.hpp, checked against captures there). The adapter's own decisions,
// without a gateway, are in tests/unit/cluster/adapter_sharded_test.cpp.
#include "gateway/local_sockets.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <map>

#include "cluster/adapter_sharded.hpp"
#include "cluster/msgpack.hpp"
#include "engineio/session.hpp"
#include "gateway/gateway.hpp"
#include "gateway/session_stack.hpp"
#include "sharded_node_peer.hpp"

namespace pulseboard::gateway {
namespace {

namespace json = boost::json;
using cluster::sharded::Message;
using cluster::sharded::MessageType;
using cluster::sharded::SubscriptionMode;

constexpr std::string_view kNode = pulseboard::testing::ShardedNodePeer::kUid;

GatewayConfig two_loops() {
  GatewayConfig c;
  c.threads = 2;
  c.default_rooms = {"live-metrics"};
  return c;
}

class LocalSocketsTest : public ::testing::Test, public pulseboard::testing::ShardedNodePeer {
 protected:
  struct Client {
    std::shared_ptr<eio::Session> session;
    std::string sid;       // the Socket.IO socket id
    std::string received;  // every polling body so far
  };

  ~LocalSocketsTest() override {
    for (auto& c : clients) c.session->close(eio::CloseReason::server_shutting_down);
    settle();
  }

  void start(SubscriptionMode mode = SubscriptionMode::dynamic) {
    adapter = cluster::ShardedAdapter::start(local, broker, {.key = "socket.io", .mode = mode});
    settle();
  }

  // Runs everything posted to the loops, including work that posts more work.
  void settle() {
    for (int round = 0; round < 8; ++round)
      for (auto& loop : server.loops()) {
        loop->ioc.restart();
        loop->ioc.poll();
      }
  }

  Client& connect(unsigned loop) {
    Client c;
    c.session = server.session_stack().make_session(*server.loops()[loop],
                                                    "session" + std::to_string(clients.size()),
                                                    eio::Session::TransportKind::polling);
    c.session->open();
    c.session->poll_post("40", false, [](auto, std::string, std::string_view) {});
    clients.push_back(std::move(c));
    Client& added = clients.back();
    settle();
    std::string body = poll(added);
    auto at = body.find("40{\"sid\":\"");
    EXPECT_NE(at, std::string::npos) << body;
    if (at != std::string::npos) added.sid = body.substr(at + 10, 20);
    return added;
  }

  // What the client has been sent since the last poll.
  std::string poll(Client& c) {
    std::string body;
    c.session->poll_get([&body](auto, std::string b, std::string_view) { body = std::move(b); });
    settle();
    if (body.empty()) c.session->close(eio::CloseReason::transport_close);  // nothing was queued
    c.received += body;
    return body;
  }

  void send(const std::string& channel, Message m) {
    ShardedNodePeer::send(channel, std::move(m));
    settle();
  }
  void send(Message m) { send("socket.io#/#", std::move(m)); }

  Gateway server{two_loops(), nullptr};
  LoopSockets local{server};
  std::shared_ptr<cluster::ShardedAdapter> adapter;
  std::deque<Client> clients;
};

TEST_F(LocalSocketsTest, HoldsTheNamespaceAndItsOwnResponseChannel) {
  start();
  EXPECT_EQ(adapter->uid().size(), 16u);
  EXPECT_EQ(adapter->uid().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(broker->subscribes["socket.io#/#"], 1);
  EXPECT_EQ(broker->subscribes["socket.io#/#" + adapter->uid() + "#"], 1);
  EXPECT_EQ(broker->subscribes.size(), 2u);
}

TEST_F(LocalSocketsTest, DynamicModeHoldsAPublicRoomWhileAnyLoopHasIt) {
  start();
  auto& a = connect(0);
  auto& b = connect(1);
  EXPECT_EQ(broker->subscribes["socket.io#/#live-metrics#"], 1) << "once for two loops";
  EXPECT_FALSE(broker->subscribes.contains("socket.io#/#" + a.sid + "#")) << "ids are private";
  a.session->close(eio::CloseReason::transport_close);
  settle();
  EXPECT_FALSE(broker->unsubscribes.contains("socket.io#/#live-metrics#"));
  b.session->close(eio::CloseReason::transport_close);
  settle();
  EXPECT_EQ(broker->unsubscribes["socket.io#/#live-metrics#"], 1);
  EXPECT_EQ(adapter->room_channels(), 0u);
}

TEST_F(LocalSocketsTest, RoomsThatExistedBeforeTheAdapterAreHeld) {
  connect(1);
  start();
  EXPECT_EQ(broker->subscribes["socket.io#/#live-metrics#"], 1);
}

TEST_F(LocalSocketsTest, DynamicPrivateModeAlsoHoldsSocketIds) {
  start(SubscriptionMode::dynamic_private);
  auto& a = connect(0);
  EXPECT_EQ(broker->subscribes["socket.io#/#" + a.sid + "#"], 1);
  EXPECT_EQ(broker->subscribes["socket.io#/#live-metrics#"], 1);
}

TEST_F(LocalSocketsTest, StaticModeHoldsNoRoomChannels) {
  start(SubscriptionMode::static_channels);
  connect(0);
  EXPECT_EQ(broker->subscribes.size(), 2u);
}

TEST_F(LocalSocketsTest, RoomBroadcastOnItsChannelReachesMembersOnly) {
  start();
  auto& a = connect(0);
  auto& b = connect(1);
  Message join = to(MessageType::sockets_join, {a.sid});
  join.rooms = {"room1"};
  send(join);
  ASSERT_EQ(broker->subscribes["socket.io#/#room1#"], 1) << "joined remotely, room now exists";
  send("socket.io#/#room1#", event({"room1"}, {"hello", "world"}));
  EXPECT_NE(poll(a).find(R"(42["hello","world"])"), std::string::npos);
  EXPECT_EQ(poll(b).find("hello"), std::string::npos);
}

TEST_F(LocalSocketsTest, ExceptAndBinaryArguments) {
  start();
  auto& a = connect(0);
  auto& b = connect(1);
  Message m = event({}, {"bin", cluster::msgpack::placeholder(0)}, {a.sid});
  m.attachments = {std::string("\x01\x02\x03", 3)};
  send(m);
  EXPECT_EQ(poll(a).find("bin"), std::string::npos);
  // BINARY_EVENT with one attachment; polling carries the bytes as base64 (AQID).
  auto body = poll(b);
  EXPECT_NE(body.find(R"(451-["bin",{"_placeholder":true,"num":0}])"), std::string::npos) << body;
  EXPECT_NE(body.find("bAQID"), std::string::npos) << body;
}

TEST_F(LocalSocketsTest, FetchSocketsAnswersOnTheRequestersChannel) {
  start();
  auto& a = connect(0);
  connect(1);
  Message fetch = to(MessageType::fetch_sockets, {a.sid});
  fetch.request_id = "r1";
  send(fetch);
  auto r = responses();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, MessageType::fetch_sockets_response);
  EXPECT_EQ(r[0].uid, adapter->uid());
  EXPECT_EQ(r[0].request_id, "r1");
  ASSERT_EQ(r[0].sockets->as_array().size(), 1u);
  auto& socket = r[0].sockets->as_array()[0].as_object();
  EXPECT_EQ(socket.at("id").as_string(), a.sid);
  auto& rooms = socket.at("rooms").as_array();
  EXPECT_NE(std::find(rooms.begin(), rooms.end(), json::value("live-metrics")), rooms.end());
  EXPECT_TRUE(socket.at("handshake").as_object().contains("time"));
}

TEST_F(LocalSocketsTest, ServerSideEmitIsAnsweredWithNullOnlyWhenAnAckIsAsked) {
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

TEST_F(LocalSocketsTest, BroadcastWithAckCountsClientsThenForwardsEachAck) {
  start();
  auto& a = connect(0);
  connect(1);
  Message m = event({a.sid}, {"question", 1});
  m.request_id = "r3";
  m.opts->timeout_ms = 1000;
  send(m);
  auto r = responses();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, MessageType::broadcast_client_count);
  EXPECT_EQ(r[0].client_count, 1u);

  auto body = poll(a);
  auto at = body.find(R"(["question",1])");
  ASSERT_NE(at, std::string::npos) << body;
  std::string ack_id = body.substr(body.rfind("42", at) + 2, at - body.rfind("42", at) - 2);
  a.session->poll_post("43" + ack_id + R"([{"answer":42}])", false,
                       [](auto, std::string, std::string_view) {});
  settle();
  r = responses();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].type, MessageType::broadcast_ack);
  EXPECT_EQ(r[1].request_id, "r3");
  EXPECT_EQ(r[1].packet, (json::object{{"answer", 42}}));
}

TEST_F(LocalSocketsTest, DisconnectSocketsEndsTheTargetedSockets) {
  start();
  auto& a = connect(0);
  auto& b = connect(1);
  Message d = to(MessageType::disconnect_sockets, {a.sid});
  d.close = false;
  send(d);
  EXPECT_NE(poll(a).find("41"), std::string::npos) << "DISCONNECT: io server disconnect";
  Message fetch = to(MessageType::fetch_sockets, {});
  fetch.request_id = "r4";
  send(fetch);
  auto r = responses();
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].sockets->as_array().size(), 1u);
  EXPECT_EQ(r[0].sockets->as_array()[0].as_object().at("id").as_string(), b.sid);
}

TEST_F(LocalSocketsTest, OwnMessagesOtherNamespacesAndGarbageAreDropped) {
  start();
  connect(0);
  auto& handler = broker->handlers["socket.io#/#"];
  Message own = to(MessageType::fetch_sockets, {});
  own.request_id = "r5";
  own.uid = adapter->uid();
  handler("socket.io#/#", cluster::sharded::encode(own));
  Message other = own;
  other.uid = std::string(kNode);
  other.nsp = "/admin";
  handler("socket.io#/#", cluster::sharded::encode(other));
  for (std::string_view garbage :
       {std::string_view(""), std::string_view("{"), std::string_view("\xc1\x00\xff", 3),
        std::string_view(R"({"type":7,"uid":"x","nsp":"/"})"),
        std::string_view(
            R"({"type":3,"data":{"packet":{"type":9},"opts":{}},"uid":"x","nsp":"/"})")})
    handler("socket.io#/#", garbage);
  settle();
  EXPECT_TRUE(broker->published.empty());
  EXPECT_EQ(adapter->messages_malformed(), 5u);
  EXPECT_EQ(adapter->messages_received(), 2u) << "the other namespace's and the bad packet's";
  // What an operator sees on /metrics.
  const std::string metrics = server.metrics().render_prometheus();
  EXPECT_NE(metrics.find("pulseboard_adapter_messages_malformed_total 5\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("pulseboard_adapter_messages_total 2\n"), std::string::npos);
}

}  // namespace
}  // namespace pulseboard::gateway
