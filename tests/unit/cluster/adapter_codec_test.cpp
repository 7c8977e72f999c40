// Bytes captured from redis-adapter 8.3.0 and redis-emitter 5.1.0 (docs/protocol-reference.md,
// Classic adapter and Emitter); the other msgpack vectors were produced by notepack.io 3.0.1 under
// node for the same values.
#include "cluster/adapter_codec.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "cluster/msgpack.hpp"

namespace pulseboard::cluster {
namespace {

namespace json = boost::json;

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    if (h[i] == ' ') {
      --i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string strip(std::string_view h) {
  std::string out;
  for (char c : h)
    if (c != ' ') out.push_back(c);
  return unhex(out);
}

BroadcastMessage hello_room1(std::string uid) {
  BroadcastMessage m;
  m.uid = std::move(uid);
  m.data = json::array{"hello", "world"};
  m.opts.rooms = {"room1"};
  return m;
}

TEST(AdapterCodec, BroadcastToOneRoomMatchesTheCapture) {
  auto expected = strip(
      "93 a6 7a2d5342662d 83 a4 74797065 02 a4 64617461 92 a5 68656c6c6f a5 776f726c64 a3 6e7370 "
      "a1 2f 83 a5 726f6f6d73 91 a5 726f6f6d31 a6 657863657074 90 a5 666c616773 80");
  ASSERT_EQ(expected.size(), 68u);
  auto m = hello_room1("z-SBf-");
  EXPECT_EQ(encode_broadcast(m), expected);
  EXPECT_EQ(decode_broadcast(expected), m);
  EXPECT_EQ(broadcast_channel(kDefaultKey, "/", m.opts.rooms), "socket.io#/#room1#");
}

TEST(AdapterCodec, EmitterBroadcastMatchesTheCapture) {
  auto expected = strip(
      "93 a7 656d6974746572 83 a4 74797065 02 a4 64617461 92 a5 68656c6c6f a5 776f726c64 a3 "
      "6e7370 a1 2f 83 a5 726f6f6d73 91 a5 726f6f6d31 a5 666c616773 80 a6 657863657074 90");
  ASSERT_EQ(expected.size(), 69u);
  auto m = hello_room1("emitter");
  EXPECT_EQ(encode_broadcast(m), expected);
  EXPECT_EQ(decode_broadcast(expected), m);
}

TEST(AdapterCodec, BinaryArgumentIsBin) {
  BroadcastMessage m;
  m.uid = "z-SBf-";
  m.data = json::array{"bin", msgpack::placeholder(0)};
  m.attachments = {std::string("\x01\x02\x03", 3)};
  auto bytes = encode_broadcast(m);
  EXPECT_NE(bytes.find(strip("92 a3 62696e c4 03 010203")), std::string::npos);
  EXPECT_EQ(decode_broadcast(bytes), m);
  EXPECT_EQ(broadcast_channel(kDefaultKey, "/", m.opts.rooms), "socket.io#/#");
}

TEST(AdapterCodec, VolatileExceptAndFloat) {
  BroadcastMessage m;
  m.uid = "z-SBf-";
  m.data = json::array{"v", 1.5};
  m.opts.except = {"room2"};
  m.opts.is_volatile = true;
  // notepack.io: ["z-SBf-",{type:2,data:["v",1.5],nsp:"/"},{rooms:[],except:["room2"],
  //               flags:{volatile:true}}]
  auto expected = unhex(
      "93a67a2d5342662d83a47479706502a46461746192a176cb3ff8000000000000a36e7370a12f83a5726f6f6d73"
      "90a665786365707491a5726f6f6d32a5666c61677381a8766f6c6174696c65c3");
  EXPECT_EQ(encode_broadcast(m), expected);
  EXPECT_EQ(decode_broadcast(expected), m);
}

TEST(AdapterCodec, AllFlagsNamespaceAndAckId) {
  BroadcastMessage m;
  m.uid = "u";
  m.nsp = "/chat";
  m.data = json::array{"x"};
  m.ack_id = 7;
  m.opts = {{"a", "b"}, {"c"}, true, false, 100};
  auto expected = unhex(
      "93a17584a47479706502a46461746191a178a36e7370a52f63686174a269640783a5726f6f6d7392a161a162a6"
      "65786365707491a163a5666c61677383a8766f6c6174696c65c3a8636f6d7072657373c2a774696d656f757464");
  EXPECT_EQ(encode_broadcast(m), expected);
  EXPECT_EQ(decode_broadcast(expected), m);
}

TEST(AdapterCodec, DecodeToleratesMissingNamespaceAndNumericRooms) {
  // ["n", {type:2, data:["e"]}, {rooms:[42], except:[]}]
  auto bytes = unhex("93a16e82a47479706502a46461746191a16582a5726f6f6d73912aa665786365707490");
  auto m = decode_broadcast(bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->nsp, "/");
  EXPECT_EQ(m->opts.rooms, (std::vector<std::string>{"42"}));
}

TEST(AdapterCodec, DecodeRejectsGarbage) {
  EXPECT_FALSE(decode_broadcast(""));
  EXPECT_FALSE(decode_broadcast(unhex("c0")));
  EXPECT_FALSE(decode_broadcast(unhex("92a175c0")));        // packet is not a map
  EXPECT_FALSE(decode_broadcast(unhex("9201a178")));        // uid is not a string
  EXPECT_FALSE(decode_broadcast(unhex("93a67a2d534266")));  // truncated
}

TEST(AdapterCodec, ChannelNames) {
  EXPECT_EQ(broadcast_channel("socket.io", "/admin", {}), "socket.io#/admin#");
  EXPECT_EQ(broadcast_channel("socket.io", "/", {"a", "b"}), "socket.io#/#");
  EXPECT_EQ(broadcast_pattern("socket.io", "/"), "socket.io#/#*");
  EXPECT_EQ(request_channel("socket.io", "/"), "socket.io-request#/#");
  EXPECT_EQ(response_channel("socket.io", "/"), "socket.io-response#/#");
  EXPECT_EQ(response_channel("socket.io", "/", "z-SBf-"), "socket.io-response#/#z-SBf-#");
  EXPECT_EQ(broadcast_room("socket.io", "/", "socket.io#/#"), "");
  EXPECT_EQ(broadcast_room("socket.io", "/", "socket.io#/#room1#"), "room1");
  EXPECT_FALSE(broadcast_room("socket.io", "/", "socket.io#/chat#room1#"));
  EXPECT_FALSE(broadcast_room("socket.io", "/", "socket.io#/#room1"));
}

TEST(AdapterCodec, CapturedJsonRequestsRoundTripByteForByte) {
  for (
      std::string_view captured : {
          R"({"uid":"gtTTES","requestId":"VHU5DT","type":1})",
          R"({"uid":"z-SBf-","type":2,"opts":{"rooms":["room1"],"except":[]},"rooms":["room3"]})",
          R"({"uid":"z-SBf-","type":3,"opts":{"rooms":["room1"],"except":[]},"rooms":["room3"]})",
          R"({"uid":"z-SBf-","type":4,"opts":{"rooms":["room1"],"except":[]},"close":true})",
          R"({"uid":"gtTTES","requestId":"BIE2qg","type":5,"opts":{"rooms":["room1"],"except":[]}})",
          R"({"uid":"z-SBf-","type":6,"data":["ping",{"a":1}]})",
          R"({"uid":"z-SBf-","requestId":"r3","type":6,"data":["ping",{"a":1}]})",
          R"({"uid":"a","requestId":"b","type":0,"rooms":["r"]})",
          // emitter traffic: no uid and no requestId
          R"({"type":2,"opts":{"rooms":["room1"],"except":[]},"rooms":["room9"]})",
          R"({"type":4,"opts":{"rooms":["room1"],"except":[]},"close":false})",
          R"({"uid":"emitter","type":6,"data":["hi"]})",
      }) {
    auto r = decode_request(captured);
    ASSERT_TRUE(r) << captured;
    EXPECT_EQ(encode_request(*r), captured);
  }
}

TEST(AdapterCodec, RequestFieldsAreDecoded) {
  auto join =
      decode_request(R"({"type":2,"opts":{"rooms":["room1"],"except":[]},"rooms":["room9"]})");
  ASSERT_TRUE(join);
  EXPECT_EQ(join->type, RequestType::remote_join);
  EXPECT_FALSE(join->uid);
  ASSERT_TRUE(join->opts);
  EXPECT_EQ(join->opts->rooms, (std::vector<std::string>{"room1"}));
  EXPECT_EQ(join->rooms, (std::vector<std::string>{"room9"}));

  auto legacy = decode_request(R"({"uid":"x","requestId":"q","type":3,"sid":"s1","room":"r1"})");
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->sid, "s1");
  EXPECT_EQ(legacy->room, "r1");

  EXPECT_FALSE(decode_request(R"({"uid":"x","type":99})"));
  EXPECT_FALSE(decode_request(R"({"uid":"x"})"));
  EXPECT_FALSE(decode_request("{not json"));
}

TEST(AdapterCodec, BroadcastWithAckRequestIsMsgpack) {
  Request r;
  r.type = RequestType::broadcast;
  r.uid = "z-SBf-";
  r.request_id = "abc";
  r.packet = Packet{2, "/", json::array{"withack", 1}, {}, std::nullopt};
  r.opts = BroadcastOptions{};
  r.opts->timeout_ms = 50;
  // notepack.io: {uid:"z-SBf-",requestId:"abc",type:7,packet:{type:2,data:["withack",1],
  //               nsp:"/"},opts:{rooms:[],except:[],flags:{timeout:50}}}
  auto expected = unhex(
      "85a3756964a67a2d5342662da9726571756573744964a3616263a47479706507a67061636b657483a474797065"
      "02a46461746192a77769746861636b01a36e7370a12fa46f70747383a5726f6f6d7390a665786365707490a566"
      "6c61677381a774696d656f757432");
  EXPECT_EQ(encode_request(r), expected);
  EXPECT_EQ(decode_request(expected), r);
}

TEST(AdapterCodec, CapturedResponsesRoundTrip) {
  for (
      std::string_view captured : {
          R"({"requestId":"r1","rooms":["wJCT0d3ajN54NpfgAAAA","room1"]})",
          R"({"requestId":"r2","sockets":[{"id":"s","handshake":{"headers":{}},"rooms":["s"],"data":{}}]})",
          R"({"type":6,"requestId":"r3","data":"pong:7"})",
          R"({"type":8,"requestId":"r4","clientCount":1})",
          R"({"requestId":"legacy-join"})",
      }) {
    auto r = decode_response(captured);
    ASSERT_TRUE(r) << captured;
    EXPECT_EQ(encode_response(*r), captured);
  }
  auto count = decode_response(R"({"type":8,"requestId":"r4","clientCount":1})");
  EXPECT_EQ(count->type, RequestType::broadcast_client_count);
  EXPECT_EQ(count->client_count, 1u);
  EXPECT_FALSE(decode_response(R"({"rooms":[]})"));  // no requestId
}

TEST(AdapterCodec, BroadcastAckResponseIsMsgpackWithBinary) {
  Response r;
  r.type = RequestType::broadcast_ack;
  r.request_id = "r4";
  r.packet = json::value(msgpack::placeholder(0));
  r.attachments = {"\x09"};
  // notepack.io: {type:9,requestId:"r4",packet:Buffer.from([9])}
  auto expected = unhex("83a47479706509a9726571756573744964a27234a67061636b6574c40109");
  EXPECT_EQ(encode_response(r), expected);
  EXPECT_EQ(decode_response(expected), r);
}

}  // namespace
}  // namespace pulseboard::cluster
