#include "engineio/packet.hpp"

#include <gtest/gtest.h>

namespace pulseboard::eio {
namespace {

using namespace std::string_literals;

Packet text(PacketType type, std::string data) {
  return Packet{type, std::move(data), false};
}
Packet binary(std::string bytes) {
  return Packet{PacketType::message, std::move(bytes), true};
}

TEST(DecodeText, ReadsEveryPacketType) {
  EXPECT_EQ(decode_text("0{\"sid\":\"x\"}"), text(PacketType::open, "{\"sid\":\"x\"}"));
  EXPECT_EQ(decode_text("1"), text(PacketType::close, ""));
  EXPECT_EQ(decode_text("2"), text(PacketType::ping, ""));
  EXPECT_EQ(decode_text("2probe"), text(PacketType::ping, "probe"));
  EXPECT_EQ(decode_text("3probe"), text(PacketType::pong, "probe"));
  EXPECT_EQ(decode_text("4hello"), text(PacketType::message, "hello"));
  EXPECT_EQ(decode_text("5"), text(PacketType::upgrade, ""));
  EXPECT_EQ(decode_text("6"), text(PacketType::noop, ""));
}

TEST(DecodeText, RejectsEmptyAndUnknownTypes) {
  EXPECT_EQ(decode_text(""), std::nullopt);
  EXPECT_EQ(decode_text("7"), std::nullopt);
  EXPECT_EQ(decode_text("x4hello"), std::nullopt);
  EXPECT_EQ(decode_text("/"), std::nullopt);  // the char just below '0'
}

TEST(DecodeText, ReadsBase64BinaryOfLegacyClients) {
  EXPECT_EQ(decode_text("bAQIDBA=="), binary("\x01\x02\x03\x04"s));
  EXPECT_EQ(decode_text("b"), binary(""));
  EXPECT_EQ(decode_text("b!!!!"), std::nullopt);
}

TEST(FromBinary, IsAlwaysABinaryMessage) {
  EXPECT_EQ(from_binary("\x00\xff"s), binary("\x00\xff"s));
  EXPECT_EQ(from_binary("4hello"), binary("4hello"));  // no type prefix on binary frames
}

TEST(EncodeText, WritesTypeDigitThenData) {
  EXPECT_EQ(encode_text(PacketType::ping, ""), "2");
  EXPECT_EQ(encode_text(PacketType::pong, "probe"), "3probe");
  EXPECT_EQ(encode_text(PacketType::message, "2[\"a\"]"), "42[\"a\"]");
  EXPECT_EQ(encode_text(PacketType::noop, ""), "6");
}

TEST(DecodePayload, SplitsTextPackets) {
  auto packets = decode_payload(
      "4hello\x1e"
      "2\x1e"
      "4world");
  ASSERT_TRUE(packets);
  EXPECT_EQ(*packets,
            (std::vector<Packet>{text(PacketType::message, "hello"), text(PacketType::ping, ""),
                                 text(PacketType::message, "world")}));
}

TEST(DecodePayload, ReadsMixedTextAndBinary) {
  auto packets = decode_payload(
      "4hello\x1e"
      "bAQIDBA==");
  ASSERT_TRUE(packets);
  EXPECT_EQ(*packets,
            (std::vector<Packet>{text(PacketType::message, "hello"), binary("\x01\x02\x03\x04"s)}));
}

TEST(DecodePayload, ReadsCapturedBinaryEventBody) {
  auto packets = decode_payload(
      "451-[\"bin-back\",{\"_placeholder\":true,\"num\":0},\"x\"]\x1e"
      "bAQID");
  ASSERT_TRUE(packets);
  EXPECT_EQ(*packets,
            (std::vector<Packet>{text(PacketType::message,
                                      "51-[\"bin-back\",{\"_placeholder\":true,\"num\":0},\"x\"]"),
                                 binary("\x01\x02\x03"s)}));
}

TEST(DecodePayload, ReadsSinglePacketBodies) {
  EXPECT_EQ(decode_payload("1"), (std::vector<Packet>{text(PacketType::close, "")}));
  EXPECT_EQ(decode_payload("6"), (std::vector<Packet>{text(PacketType::noop, "")}));
}

TEST(DecodePayload, RejectsUndecodablePackets) {
  EXPECT_EQ(decode_payload(""), std::nullopt);
  EXPECT_EQ(decode_payload("4hello\x1e"), std::nullopt);  // no trailing separator in v4
  EXPECT_EQ(decode_payload("\x1e"
                           "4hello"),
            std::nullopt);
  EXPECT_EQ(decode_payload("4a\x1e\x1e"
                           "4b"),
            std::nullopt);
  EXPECT_EQ(decode_payload("4a\x1e"
                           "9b"),
            std::nullopt);
  EXPECT_EQ(decode_payload("4a\x1e"
                           "b***"),
            std::nullopt);
}

TEST(AppendToPayload, JoinsWithSeparatorAndBase64sBinary) {
  std::string body;
  append_to_payload(body, text(PacketType::message, "hello"));
  EXPECT_EQ(body, "4hello");
  append_to_payload(body, binary("\x01\x02\x03\x04"s));
  EXPECT_EQ(body,
            "4hello\x1e"
            "bAQIDBA==");
  append_to_payload(body, text(PacketType::ping, ""));
  EXPECT_EQ(body,
            "4hello\x1e"
            "bAQIDBA==\x1e"
            "2");
}

TEST(AppendToPayload, RoundTripsThroughDecodePayload) {
  const std::vector<Packet> packets = {
      text(PacketType::open, "{}"), text(PacketType::message, ""),  binary(""),
      binary("\x00\x1e\xff"s),      text(PacketType::message, "é"), text(PacketType::noop, ""),
  };
  std::string body;
  for (const auto& packet : packets) append_to_payload(body, packet);
  EXPECT_EQ(decode_payload(body), packets);
}

TEST(HttpError, BodiesMatchTheNodeServer) {
  EXPECT_EQ(http_error_body(HttpError::unknown_transport),
            R"({"code":0,"message":"Transport unknown"})");
  EXPECT_EQ(http_error_body(HttpError::unknown_sid),
            R"({"code":1,"message":"Session ID unknown"})");
  EXPECT_EQ(http_error_body(HttpError::bad_handshake_method),
            R"({"code":2,"message":"Bad handshake method"})");
  EXPECT_EQ(http_error_body(HttpError::bad_request), R"({"code":3,"message":"Bad request"})");
  EXPECT_EQ(http_error_body(HttpError::forbidden), R"({"code":4,"message":"Forbidden"})");
  EXPECT_EQ(http_error_body(HttpError::unsupported_protocol_version),
            R"({"code":5,"message":"Unsupported protocol version"})");
  EXPECT_EQ(http_error_message(HttpError::unknown_sid), "Session ID unknown");
}

TEST(OpenPacket, MatchesCapturedHandshake) {
  const std::string open = encode_text(
      PacketType::open, open_packet_json("pkKwoCC3SlUjEw-cAAAA", true, 25000, 20000, 1000000));
  EXPECT_EQ(open, R"(0{"sid":"pkKwoCC3SlUjEw-cAAAA","upgrades":["websocket"],"pingInterval":25000,)"
                  R"("pingTimeout":20000,"maxPayload":1000000})");
  EXPECT_EQ(open.size(), 118u);  // the captured Content-Length
}

TEST(OpenPacket, WebSocketSessionsOfferNoUpgrade) {
  EXPECT_EQ(
      open_packet_json("abc", false, 300, 200, 1000000),
      R"({"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000})");
}

}  // namespace
}  // namespace pulseboard::eio
