// The sharded adapter's format against bytes captured from `@socket.io/redis-adapter` 8.3.0's
// createShardedAdapter (socket.io-adapter 2.5.9) under Node 20, with stand-in Redis clients
// recording each SPUBLISH (docs/protocol-reference.md, Sharded adapter).
#include "cluster/sharded_codec.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <random>

#include "cluster/msgpack.hpp"

namespace pulseboard::cluster::sharded {
namespace {

namespace json = boost::json;

constexpr std::string_view kUid = "df241f6f85e375a8";

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

BroadcastOptions to_rooms(std::vector<std::string> rooms) {
  BroadcastOptions o;
  o.rooms = std::move(rooms);
  return o;
}

Message broadcast(json::array data, BroadcastOptions opts) {
  Message m;
  m.type = MessageType::broadcast;
  m.uid = kUid;
  m.packet = json::object{{"type", 2}, {"data", std::move(data)}};
  m.opts = std::move(opts);
  return m;
}

// Encodes to exactly the captured bytes and decodes back to the same message.
void expect_round_trip(const Message& m, const std::string& captured) {
  EXPECT_EQ(encode(m), captured);
  auto d = decode(captured);
  ASSERT_TRUE(d.message) << "error " << static_cast<int>(d.error);
  EXPECT_EQ(*d.message, m);
}

TEST(ShardedCodec, BroadcastToOneRoomMatchesTheCapture) {
  auto m = broadcast({"hello", "world"}, to_rooms({"room1"}));
  expect_round_trip(m, R"({"type":3,"data":{"packet":{"type":2,"data":["hello","world"]},)"
                       R"("opts":{"rooms":["room1"],"except":[],"flags":{}}},)"
                       R"("uid":"df241f6f85e375a8","nsp":"/"})");
  EXPECT_EQ(publish_channel(kDefaultKey, m, SubscriptionMode::dynamic), "socket.io#/#room1#");
  EXPECT_EQ(publish_channel(kDefaultKey, m, SubscriptionMode::static_channels), "socket.io#/#");
}

TEST(ShardedCodec, BinaryBroadcastIsMsgpack) {
  auto m = broadcast({"bin", msgpack::placeholder(0)}, {});
  m.attachments = {std::string("\x01\x02\x03", 3)};
  expect_round_trip(
      m, unhex("84a47479706503a46461746182a67061636b657482a47479706502a46461746192a362696ec40301"
               "0203a46f70747383a5726f6f6d7390a665786365707490a5666c61677380a3756964b06466323431"
               "6636663835653337356138a36e7370a12f"));
  EXPECT_EQ(publish_channel(kDefaultKey, m, SubscriptionMode::dynamic), "socket.io#/#");
}

TEST(ShardedCodec, VolatileExceptAndAFloat) {
  BroadcastOptions opts;
  opts.except = {"room2"};
  opts.is_volatile = true;
  expect_round_trip(broadcast({"v", 1.5}, opts),
                    R"({"type":3,"data":{"packet":{"type":2,"data":["v",1.5]},)"
                    R"("opts":{"rooms":[],"except":["room2"],"flags":{"volatile":true}}},)"
                    R"("uid":"df241f6f85e375a8","nsp":"/"})");
}

TEST(ShardedCodec, BroadcastWithAckCarriesRequestIdAndTimeout) {
  BroadcastOptions opts;
  opts.timeout_ms = 50;
  auto m = broadcast({"withack", 1}, opts);
  m.request_id = "b784c28bd4f4b4b9";
  expect_round_trip(m, R"({"type":3,"data":{"packet":{"type":2,"data":["withack",1]},)"
                       R"("requestId":"b784c28bd4f4b4b9",)"
                       R"("opts":{"rooms":[],"except":[],"flags":{"timeout":50}}},)"
                       R"("uid":"df241f6f85e375a8","nsp":"/"})");
  m.opts->rooms = {"room1"};  // with an ack never a room channel: every server must answer
  EXPECT_EQ(publish_channel(kDefaultKey, m, SubscriptionMode::dynamic_private), "socket.io#/#");
}

TEST(ShardedCodec, ARoomThatLooksLikeASocketIdUsesTheNamespaceChannelInDynamicMode) {
  auto m = broadcast({"toid", 1}, to_rooms({"abcdefghijklmnopqrst"}));
  expect_round_trip(m, R"({"type":3,"data":{"packet":{"type":2,"data":["toid",1]},)"
                       R"("opts":{"rooms":["abcdefghijklmnopqrst"],"except":[],"flags":{}}},)"
                       R"("uid":"df241f6f85e375a8","nsp":"/"})");
  EXPECT_EQ(publish_channel(kDefaultKey, m, SubscriptionMode::dynamic), "socket.io#/#");
  EXPECT_EQ(publish_channel(kDefaultKey, m, SubscriptionMode::dynamic_private),
            "socket.io#/#abcdefghijklmnopqrst#");
}

TEST(ShardedCodec, JoinLeaveDisconnect) {
  Message m;
  m.uid = kUid;
  m.opts = to_rooms({"room1"});
  m.rooms = {"room3"};
  for (auto [type, n] :
       {std::pair{MessageType::sockets_join, 4}, {MessageType::sockets_leave, 5}}) {
    m.type = type;
    expect_round_trip(m, R"({"type":)" + std::to_string(n) +
                             R"(,"data":{"opts":{"rooms":["room1"],"except":[],"flags":{}},)"
                             R"("rooms":["room3"]},"uid":"df241f6f85e375a8","nsp":"/"})");
  }
  Message d;
  d.type = MessageType::disconnect_sockets;
  d.uid = kUid;
  d.opts = to_rooms({"room1"});
  d.close = true;
  expect_round_trip(d, R"({"type":6,"data":{"opts":{"rooms":["room1"],"except":[],"flags":{}},)"
                       R"("close":true},"uid":"df241f6f85e375a8","nsp":"/"})");
}

TEST(ShardedCodec, ServerSideEmitAndFetchRequests) {
  Message emit;
  emit.type = MessageType::server_side_emit;
  emit.uid = kUid;
  emit.packet = json::array{"ping", json::object{{"a", 1}}};
  expect_round_trip(
      emit, R"({"type":9,"data":{"packet":["ping",{"a":1}]},"uid":"df241f6f85e375a8","nsp":"/"})");
  emit.packet = json::array{"ping2"};
  emit.request_id = "2069f9e839c19b31";
  expect_round_trip(emit, R"({"type":9,"data":{"requestId":"2069f9e839c19b31","packet":["ping2"]},)"
                          R"("uid":"df241f6f85e375a8","nsp":"/"})");

  Message fetch;
  fetch.type = MessageType::fetch_sockets;
  fetch.uid = kUid;
  fetch.opts = to_rooms({"room1"});
  fetch.request_id = "b100bfdba8da1166";
  expect_round_trip(fetch,
                    R"({"type":7,"data":{"opts":{"rooms":["room1"],"except":[],"flags":{}},)"
                    R"("requestId":"b100bfdba8da1166"},"uid":"df241f6f85e375a8","nsp":"/"})");
}

TEST(ShardedCodec, ResponsesMatchTheCapture) {
  Message count;
  count.type = MessageType::broadcast_client_count;
  count.uid = "4d0878d82e3f12fa";
  count.request_id = "r3";
  count.client_count = 0;
  expect_round_trip(count, R"({"type":11,"data":{"requestId":"r3","clientCount":0},)"
                           R"("uid":"4d0878d82e3f12fa","nsp":"/"})");

  Message fetched;
  fetched.type = MessageType::fetch_sockets_response;
  fetched.uid = "4d0878d82e3f12fa";
  fetched.request_id = "r2";
  fetched.sockets = json::array{};
  expect_round_trip(fetched, R"({"type":8,"data":{"requestId":"r2","sockets":[]},)"
                             R"("uid":"4d0878d82e3f12fa","nsp":"/"})");

  // A server-side ack answered with Buffer[9]: binary, so msgpack.
  Message ack;
  ack.type = MessageType::server_side_emit_response;
  ack.uid = "4d0878d82e3f12fa";
  ack.request_id = "r1";
  ack.packet = msgpack::placeholder(0);
  ack.attachments = {std::string("\x09", 1)};
  expect_round_trip(ack, unhex("84a4747970650aa46461746182a9726571756573744964a27231a67061636b65"
                               "74c40109a3756964b034643038373864383265336631326661a36e7370a12f"));

  Message null_ack;
  null_ack.type = MessageType::server_side_emit_response;
  null_ack.uid = kUid;
  null_ack.request_id = "r1";
  null_ack.packet = nullptr;
  EXPECT_EQ(encode(null_ack), R"({"type":10,"data":{"requestId":"r1","packet":null},)"
                              R"("uid":"df241f6f85e375a8","nsp":"/"})");
}

TEST(ShardedCodec, ChannelsAndModes) {
  EXPECT_EQ(namespace_channel("socket.io", "/admin"), "socket.io#/admin#");
  EXPECT_EQ(room_channel("socket.io", "/", "0123456789abcdef"), "socket.io#/#0123456789abcdef#");
  EXPECT_EQ(parse_subscription_mode("dynamic"), SubscriptionMode::dynamic);
  EXPECT_EQ(parse_subscription_mode("dynamic-private"), SubscriptionMode::dynamic_private);
  EXPECT_EQ(parse_subscription_mode("static"), SubscriptionMode::static_channels);
  EXPECT_EQ(parse_subscription_mode("Dynamic"), std::nullopt);
  for (auto mode : {SubscriptionMode::dynamic, SubscriptionMode::dynamic_private,
                    SubscriptionMode::static_channels})
    EXPECT_EQ(parse_subscription_mode(to_string(mode)), mode);
}

TEST(ShardedCodec, MalformedMessagesAreErrorsNamedByWhatIsWrong) {
  EXPECT_EQ(decode("").error, DecodeError::not_an_object);
  EXPECT_EQ(decode("{").error, DecodeError::not_an_object);
  EXPECT_EQ(decode("[1,2]").error, DecodeError::not_an_object);
  EXPECT_EQ(decode(R"({"type":3,"data":{}})").error, DecodeError::bad_envelope);
  EXPECT_EQ(decode(R"({"type":"3","uid":"u","nsp":"/"})").error, DecodeError::bad_envelope);
  EXPECT_EQ(decode(R"({"type":14,"uid":"u","nsp":"/"})").error, DecodeError::unknown_type);
  EXPECT_EQ(decode(R"({"type":0,"uid":"u","nsp":"/"})").error, DecodeError::unknown_type);
  EXPECT_EQ(decode(R"({"type":3,"uid":"u","nsp":"/"})").error, DecodeError::bad_data);
  EXPECT_EQ(decode(R"({"type":3,"data":[],"uid":"u","nsp":"/"})").error, DecodeError::bad_data);
  EXPECT_EQ(decode(R"({"type":3,"data":{"packet":{"type":2,"data":["x"]},"opts":{"rooms":{}}},)"
                   R"("uid":"u","nsp":"/"})")
                .error,
            DecodeError::bad_data);
  EXPECT_EQ(decode(R"({"type":7,"data":{"opts":{}},"uid":"u","nsp":"/"})").error,
            DecodeError::bad_data);
  EXPECT_EQ(decode(R"({"type":8,"data":{"requestId":7,"sockets":[]},"uid":"u","nsp":"/"})").error,
            DecodeError::bad_data);
  EXPECT_EQ(decode(R"({"type":9,"data":{"packet":"ping"},"uid":"u","nsp":"/"})").error,
            DecodeError::bad_data);
  // Heartbeats carry no data and are valid (the adapter ignores them by type).
  EXPECT_TRUE(decode(R"({"type":2,"uid":"u","nsp":"/"})").message);
}

// Every prefix of each captured message and seeded random mutations of them: decode must return
// (a message or an error), never crash; ASan/UBSan builds check the memory side.
TEST(ShardedCodec, GarbageNeverCrashes) {
  std::vector<std::string> seeds = {
      R"({"type":3,"data":{"packet":{"type":2,"data":["hello","world"]},"opts":{"rooms":["room1"],"except":[],"flags":{}}},"uid":"df241f6f85e375a8","nsp":"/"})",
      unhex("84a47479706503a46461746182a67061636b657482a47479706502a46461746192a362696ec40301"
            "0203a46f70747383a5726f6f6d7390a665786365707490a5666c61677380a3756964b06466323431"
            "6636663835653337356138a36e7370a12f"),
      R"({"type":8,"data":{"requestId":"r2","sockets":[{"id":"x","rooms":["a"]}]},"uid":"u","nsp":"/"})",
  };
  std::size_t decoded = 0;
  for (const auto& seed : seeds)
    for (std::size_t n = 0; n < seed.size(); ++n)
      decoded += decode(seed.substr(0, n)).message ? 1 : 0;
  EXPECT_EQ(decoded, 0u) << "a strict prefix of a message is never a whole message";

  std::mt19937 rng(20240701);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes = seeds[rng() % seeds.size()];
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips)
      bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
    auto d = decode(bytes);
    if (d.message) (void)encode(*d.message);
  }
  std::string noise(256, '\0');
  for (int round = 0; round < 5000; ++round) {
    for (auto& c : noise) c = static_cast<char>(rng() & 0xff);
    (void)decode(std::string_view(noise).substr(0, rng() % noise.size()));
  }
}

}  // namespace
}  // namespace pulseboard::cluster::sharded
