// The sharded adapter's decisions without I/O: what it does with each message type, and when a
// room channel is subscribed or released as rooms come and go on several event loops.
#include "cluster/sharded_policy.hpp"

#include <gtest/gtest.h>

namespace pulseboard::cluster::sharded {
namespace {

using cluster::sharded::MessageType;

Message from(std::string uid, MessageType type, bool with_request_id = false) {
  Message m;
  m.uid = std::move(uid);
  m.type = type;
  if (with_request_id) m.request_id = "r";
  return m;
}

TEST(ShardedAdapterPolicy, EachMessageTypeHasOneAction) {
  auto d = [](MessageType t, bool ack = false) { return decide(from("node", t, ack), "me", "/"); };
  EXPECT_EQ(d(MessageType::broadcast), Action::deliver);
  EXPECT_EQ(d(MessageType::broadcast, true), Action::deliver_with_ack);
  EXPECT_EQ(d(MessageType::sockets_join), Action::join);
  EXPECT_EQ(d(MessageType::sockets_leave), Action::leave);
  EXPECT_EQ(d(MessageType::disconnect_sockets), Action::disconnect);
  EXPECT_EQ(d(MessageType::fetch_sockets, true), Action::fetch);
  EXPECT_EQ(d(MessageType::server_side_emit), Action::ignore_server_side_emit);
  EXPECT_EQ(d(MessageType::server_side_emit, true), Action::answer_server_side_emit);
  for (auto t :
       {MessageType::initial_heartbeat, MessageType::heartbeat, MessageType::adapter_close})
    EXPECT_EQ(d(t), Action::ignore_heartbeat);
  for (auto t : {MessageType::fetch_sockets_response, MessageType::server_side_emit_response,
                 MessageType::broadcast_client_count, MessageType::broadcast_ack})
    EXPECT_EQ(d(t, true), Action::ignore_response);
}

TEST(ShardedAdapterPolicy, OwnUidFirstThenNamespace) {
  auto own = from("me", MessageType::broadcast);
  own.nsp = "/admin";
  EXPECT_EQ(decide(own, "me", "/"), Action::ignore_own);
  auto other = from("node", MessageType::broadcast);
  other.nsp = "/admin";
  EXPECT_EQ(decide(other, "me", "/"), Action::ignore_other_namespace);
  EXPECT_EQ(decide(other, "me", "/admin"), Action::deliver);
}

TEST(ShardedAdapterPolicy, WhichRoomsGetAChannel) {
  EXPECT_TRUE(has_room_channel(SubscriptionMode::dynamic, false));
  EXPECT_FALSE(has_room_channel(SubscriptionMode::dynamic, true));
  EXPECT_TRUE(has_room_channel(SubscriptionMode::dynamic_private, true));
  EXPECT_FALSE(has_room_channel(SubscriptionMode::static_channels, false));
}

TEST(ShardedAdapterPolicy, ARoomChannelLivesWhileAnyLoopHasTheRoom) {
  using Change = RoomChannels::Change;
  RoomChannels rooms("socket.io");
  auto first = rooms.on_room("/", "r", true);
  EXPECT_EQ(first.change, Change::subscribe);
  EXPECT_EQ(first.channel, "socket.io#/#r#");
  EXPECT_EQ(rooms.on_room("/", "r", true).change, Change::none);        // a second loop
  EXPECT_EQ(rooms.on_room("/", "r", false).change, Change::none);       // one loop left
  EXPECT_EQ(rooms.on_room("/x", "r", true).change, Change::subscribe);  // another namespace
  EXPECT_EQ(rooms.on_room("/", "r", false).change, Change::unsubscribe);
  EXPECT_EQ(rooms.on_room("/", "r", false).change, Change::none) << "an extra delete is harmless";
  EXPECT_EQ(rooms.channels(), 1u);
  EXPECT_EQ(rooms.on_room("/", "r", true).change, Change::subscribe) << "and it can come back";
}

}  // namespace
}  // namespace pulseboard::cluster::sharded
