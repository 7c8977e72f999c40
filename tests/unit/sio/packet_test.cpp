#include "sio/packet.hpp"

#include <gtest/gtest.h>

namespace pulseboard::sio {
namespace {

using namespace std::string_literals;

// One Engine.IO message payload (a wire string of docs/protocol-reference.md, Socket.IO wire
// examples, without its leading '4').
struct WireRow {
  std::string wire;
  PacketType type;
  std::string nsp;
  std::optional<std::uint64_t> id;
  std::optional<std::string> data_json;
  std::vector<std::string> attachments;
};

const std::string kPlaceholder0 = R"({"_placeholder":true,"num":0})";
const std::string kPlaceholder1 = R"({"_placeholder":true,"num":1})";

std::vector<WireRow> protocol_examples() {
  return {
      {"0", PacketType::connect, "/", {}, {}, {}},
      {R"(0{"token":"123"})", PacketType::connect, "/", {}, R"({"token":"123"})", {}},
      {"0/admin,", PacketType::connect, "/admin", {}, {}, {}},
      {R"(0/admin,{"token":"abc"})", PacketType::connect, "/admin", {}, R"({"token":"abc"})", {}},
      {R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})",
       PacketType::connect,
       "/",
       {},
       R"({"sid":"wZX3oN0bSVIhsaknAAAI"})",
       {}},
      {R"(0/admin,{"sid":"wZX3oN0bSVIhsaknAAAI"})",
       PacketType::connect,
       "/admin",
       {},
       R"({"sid":"wZX3oN0bSVIhsaknAAAI"})",
       {}},
      {R"(0{"sid":"N9Flw7NMrnst6um-AAAA","pid":"N0dZoNrG1bUHratkAAAB"})",
       PacketType::connect,
       "/",
       {},
       R"({"sid":"N9Flw7NMrnst6um-AAAA","pid":"N0dZoNrG1bUHratkAAAB"})",
       {}},
      {R"(4{"message":"Not authorized","data":{"code":401}})",
       PacketType::connect_error,
       "/",
       {},
       R"({"message":"Not authorized","data":{"code":401}})",
       {}},
      {R"(4/random,{"message":"Invalid namespace"})",
       PacketType::connect_error,
       "/random",
       {},
       R"({"message":"Invalid namespace"})",
       {}},
      {"1", PacketType::disconnect, "/", {}, {}, {}},
      {"1/admin,", PacketType::disconnect, "/admin", {}, {}, {}},
      {R"(2["hey","Jude"])", PacketType::event, "/", {}, R"(["hey","Jude"])", {}},
      {R"(2/admin,["bar"])", PacketType::event, "/admin", {}, R"(["bar"])", {}},
      {R"(212["foo"])", PacketType::event, "/", 12, R"(["foo"])", {}},
      {R"(2/admin,13["foo"])", PacketType::event, "/admin", 13, R"(["foo"])", {}},
      {R"(312["bar"])", PacketType::ack, "/", 12, R"(["bar"])", {}},
      {"3/admin,13[]", PacketType::ack, "/admin", 13, "[]", {}},
      {R"(51-["baz",)" + kPlaceholder0 + "]",
       PacketType::binary_event,
       "/",
       {},
       R"(["baz",)" + kPlaceholder0 + "]",
       {"\x01\x02\x03\x04"s}},
      {R"(52-/admin,["baz",)" + kPlaceholder0 + "," + kPlaceholder1 + "]",
       PacketType::binary_event,
       "/admin",
       {},
       R"(["baz",)" + kPlaceholder0 + "," + kPlaceholder1 + "]",
       {"\x01\x02"s, "\x00\xff"s}},
      {R"(61-15["bar",)" + kPlaceholder0 + "]",
       PacketType::binary_ack,
       "/",
       15,
       R"(["bar",)" + kPlaceholder0 + "]",
       {"\x05"s}},
  };
}

// Feeds a text message and its attachments; returns the packet or the error.
struct Decoded {
  std::optional<Packet> packet;
  DecodeError error = DecodeError::none;
};

Decoded decode(Decoder& decoder, std::string_view text,
               const std::vector<std::string>& attachments = {}) {
  auto status = decoder.add_text(text);
  for (const auto& attachment : attachments) {
    if (status != Decoder::Status::need_more) break;
    status = decoder.add_binary(attachment);
  }
  if (status == Decoder::Status::packet) return {decoder.take(), DecodeError::none};
  return {std::nullopt, decoder.error()};
}

Decoded decode(std::string_view text, const std::vector<std::string>& attachments = {}) {
  Decoder decoder;
  return decode(decoder, text, attachments);
}

DecodeError rejection(std::string_view text) {
  return decode(text).error;
}

std::optional<boost::json::value> json(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return boost::json::parse(*text);
}

TEST(ProtocolExamples, DecodeToTheirFields) {
  for (const auto& row : protocol_examples()) {
    SCOPED_TRACE(row.wire);
    auto decoded = decode(row.wire, row.attachments);
    ASSERT_TRUE(decoded.packet) << to_string(decoded.error);
    EXPECT_EQ(decoded.packet->type, row.type);
    EXPECT_EQ(decoded.packet->nsp, row.nsp);
    EXPECT_EQ(decoded.packet->id, row.id);
    EXPECT_EQ(decoded.packet->data, json(row.data_json));
    EXPECT_EQ(decoded.packet->attachments, row.attachments);
  }
}

TEST(ProtocolExamples, EncodeByteExact) {
  for (const auto& row : protocol_examples()) {
    SCOPED_TRACE(row.wire);
    Packet packet{row.type, row.nsp, row.id, json(row.data_json), row.attachments};
    EXPECT_EQ(encode(packet), row.wire);
  }
}

TEST(Decoder, AcceptsNamespaceEndingAtEndOfString) {
  for (auto [wire, type] :
       {std::pair{"0/admin", PacketType::connect}, std::pair{"1/custom", PacketType::disconnect}}) {
    auto decoded = decode(wire);
    ASSERT_TRUE(decoded.packet) << wire;
    EXPECT_EQ(decoded.packet->type, type);
    EXPECT_EQ(decoded.packet->nsp, std::string_view(wire).substr(1));
    EXPECT_EQ(encode(*decoded.packet), std::string(wire) + ",");
  }
}

TEST(Decoder, NumericEventNamesAreAllowed) {
  auto decoded = decode("2[42,\"x\"]");
  ASSERT_TRUE(decoded.packet);
  EXPECT_EQ(decoded.packet->data, boost::json::parse(R"([42,"x"])"));
}

TEST(Decoder, ZeroAttachmentBinaryEventIsCompleteAtOnce) {
  Decoder decoder;
  EXPECT_EQ(decoder.add_text(R"(50-["a"])"), Decoder::Status::packet);
  EXPECT_FALSE(decoder.awaiting_attachments());
  EXPECT_EQ(decoder.take().type, PacketType::binary_event);
}

TEST(Decoder, BinaryEventWaitsForBothAttachments) {
  Decoder decoder;
  EXPECT_EQ(decoder.add_text(R"(52-/admin,7["up",)" + kPlaceholder1 + "," + kPlaceholder0 + "]"),
            Decoder::Status::need_more);
  EXPECT_TRUE(decoder.awaiting_attachments());
  EXPECT_EQ(decoder.add_binary("first"), Decoder::Status::need_more);
  EXPECT_TRUE(decoder.awaiting_attachments());
  EXPECT_EQ(decoder.add_binary("second"), Decoder::Status::packet);
  EXPECT_FALSE(decoder.awaiting_attachments());
  Packet packet = decoder.take();
  EXPECT_EQ(packet.type, PacketType::binary_event);
  EXPECT_EQ(packet.nsp, "/admin");
  EXPECT_EQ(packet.id, 7u);
  EXPECT_EQ(packet.attachments, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(encode(packet), R"(52-/admin,7["up",)" + kPlaceholder1 + "," + kPlaceholder0 + "]");
}

TEST(Decoder, DecodesPacketsBackToBack) {
  Decoder decoder;
  EXPECT_EQ(decode(decoder, R"(51-["a",)" + kPlaceholder0 + "]", {"x"}).error, DecodeError::none);
  auto next = decode(decoder, R"(2["b"])");
  ASSERT_TRUE(next.packet);
  EXPECT_TRUE(next.packet->attachments.empty());
}

TEST(Decoder, IsUsableAgainAfterAnError) {
  Decoder decoder;
  EXPECT_EQ(decoder.add_text("9"), Decoder::Status::error);
  EXPECT_EQ(decoder.error(), DecodeError::unknown_type);
  EXPECT_EQ(decoder.add_text(R"(2["ok"])"), Decoder::Status::packet);
  EXPECT_EQ(decoder.error(), DecodeError::none);
}

// docs/protocol-reference.md, Socket.IO rejections: one test per rule.
TEST(Rejects, UnknownTypeChar) {
  EXPECT_EQ(rejection("abc"), DecodeError::unknown_type);
  EXPECT_EQ(rejection("7[]"), DecodeError::unknown_type);
  EXPECT_EQ(rejection(""), DecodeError::unknown_type);
}

TEST(Rejects, MalformedAttachmentCount) {
  EXPECT_EQ(rejection(R"(5x-["a"])"), DecodeError::bad_attachment_count);   // non-numeric
  EXPECT_EQ(rejection(R"(51["a"])"), DecodeError::bad_attachment_count);    // no '-'
  EXPECT_EQ(rejection(R"(5-1-["a"])"), DecodeError::bad_attachment_count);  // negative
  EXPECT_EQ(rejection(R"(5-["a"])"), DecodeError::bad_attachment_count);    // empty
  EXPECT_EQ(rejection(R"(61["a-b"])"), DecodeError::bad_attachment_count);  // '-' only in JSON
}

TEST(Rejects, TooManyAttachments) {
  EXPECT_EQ(rejection(R"(511-["a"])"), DecodeError::too_many_attachments);
  EXPECT_EQ(rejection(R"(599999999999999999999999-["a"])"), DecodeError::too_many_attachments);
  Decoder strict(2);
  EXPECT_EQ(decode(strict, R"(53-["a"])").error, DecodeError::too_many_attachments);
  Decoder loose(10);
  EXPECT_EQ(loose.add_text(R"(510-["a"])"), Decoder::Status::need_more);
}

TEST(Rejects, ControlCharactersInNamespace) {
  EXPECT_EQ(rejection("2/ad\nmin,[\"a\"]"), DecodeError::bad_namespace);
  EXPECT_EQ(rejection("0/a\x1e"), DecodeError::bad_namespace);
}

TEST(Rejects, AckIdThatOverflows) {
  EXPECT_EQ(rejection(R"(299999999999999999999999["a"])"), DecodeError::bad_ack_id);
  EXPECT_TRUE(decode(R"(218446744073709551615["a"])").packet);  // 2^64-1 still fits
}

TEST(Rejects, InvalidJson) {
  EXPECT_EQ(rejection(R"(2["a")"), DecodeError::bad_json);
  EXPECT_EQ(rejection(R"(2abc["a"])"), DecodeError::bad_json);  // no ack id digits
  EXPECT_EQ(rejection("2/admin,abc"), DecodeError::bad_json);
  EXPECT_EQ(rejection(R"(2["a"]x)"), DecodeError::bad_json);
  EXPECT_EQ(rejection(R"(2['a'])"), DecodeError::bad_json);
}

TEST(Rejects, NumbersBeyondDoubleRange) {
  // They would be written back as `Infinity`, which is not JSON.
  EXPECT_EQ(rejection(R"(2["a",1e400])"), DecodeError::bad_json);
  EXPECT_EQ(rejection(R"(2["a",{"b":[-1e999]}])"), DecodeError::bad_json);
  EXPECT_EQ(decode(R"(51-["a",{"_placeholder":true,"num":0,"x":1e400}])", {"x"}).error,
            DecodeError::bad_json);
  EXPECT_TRUE(decode(R"(2["a",1e300,18446744073709551616])").packet);
}

TEST(Rejects, ConnectPayloadThatIsNotAnObject) {
  EXPECT_EQ(rejection("0[]"), DecodeError::bad_payload);
  EXPECT_EQ(rejection(R"(0"token")"), DecodeError::bad_payload);
  EXPECT_EQ(rejection("0/admin,null"), DecodeError::bad_payload);
}

TEST(Rejects, DisconnectWithPayload) {
  EXPECT_EQ(rejection("1{}"), DecodeError::bad_payload);
  EXPECT_EQ(rejection("1/admin,[]"), DecodeError::bad_payload);
}

TEST(Rejects, EventPayloadOfTheWrongShape) {
  EXPECT_EQ(rejection("2{}"), DecodeError::bad_payload);
  EXPECT_EQ(rejection("2[]"), DecodeError::bad_payload);
  EXPECT_EQ(rejection("2[{}]"), DecodeError::bad_payload);
  EXPECT_EQ(rejection("2[null]"), DecodeError::bad_payload);
  EXPECT_EQ(rejection(R"(2"a")"), DecodeError::bad_payload);
  EXPECT_EQ(rejection(R"(50-{})"), DecodeError::bad_payload);
  // Our choice (docs/protocol.md): an event without payload is refused, though Node takes `42`.
  EXPECT_EQ(rejection("2"), DecodeError::bad_payload);
  EXPECT_EQ(rejection("2/admin,"), DecodeError::bad_payload);
  EXPECT_EQ(rejection("212"), DecodeError::bad_payload);
}

TEST(Rejects, ReservedEventNames) {
  for (const char* name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                           "removeListener"}) {
    EXPECT_EQ(rejection("2[\""s + name + "\",1]"), DecodeError::reserved_event_name) << name;
    EXPECT_EQ(rejection("51-[\""s + name + "\"," + kPlaceholder0 + "]"),
              DecodeError::reserved_event_name)
        << name;
  }
  EXPECT_TRUE(decode(R"(2["Connect"])").packet);
}

TEST(Rejects, AckPayloadThatIsNotAnArray) {
  EXPECT_EQ(rejection("3{}"), DecodeError::bad_payload);
  EXPECT_EQ(rejection("312"), DecodeError::bad_payload);
  EXPECT_EQ(rejection(R"(61-1"x")"), DecodeError::bad_payload);
}

TEST(Rejects, ConnectErrorPayloadThatIsNeitherObjectNorString) {
  EXPECT_EQ(rejection("4[]"), DecodeError::bad_payload);
  EXPECT_EQ(rejection("41"), DecodeError::bad_payload);
  EXPECT_EQ(rejection("4"), DecodeError::bad_payload);
  EXPECT_TRUE(decode(R"(4"Not authorized")").packet);
}

TEST(Rejects, TextWhileAttachmentsArePending) {
  Decoder decoder;
  ASSERT_EQ(decoder.add_text(R"(52-["a",)" + kPlaceholder0 + "," + kPlaceholder1 + "]"),
            Decoder::Status::need_more);
  ASSERT_EQ(decoder.add_binary("x"), Decoder::Status::need_more);
  EXPECT_EQ(decoder.add_text(R"(2["b"])"), Decoder::Status::error);
  EXPECT_EQ(decoder.error(), DecodeError::unexpected_text);
  EXPECT_FALSE(decoder.awaiting_attachments());
}

TEST(Rejects, BinaryWhenNoneIsExpected) {
  Decoder decoder;
  EXPECT_EQ(decoder.add_binary("x"), Decoder::Status::error);
  EXPECT_EQ(decoder.error(), DecodeError::unexpected_binary);
  ASSERT_EQ(decoder.add_text(R"(51-["a",)" + kPlaceholder0 + "]"), Decoder::Status::need_more);
  ASSERT_EQ(decoder.add_binary("x"), Decoder::Status::packet);
  EXPECT_EQ(decoder.add_binary("y"), Decoder::Status::error);
  EXPECT_EQ(decoder.error(), DecodeError::unexpected_binary);
}

TEST(Rejects, PlaceholderOutOfRange) {
  auto illegal = [](std::string text, std::vector<std::string> attachments) {
    return decode(text, attachments).error;
  };
  EXPECT_EQ(illegal(R"(51-["a",)" + kPlaceholder1 + "]", {"x"}), DecodeError::illegal_attachments);
  EXPECT_EQ(illegal(R"(51-["a",{"_placeholder":true,"num":-1}])", {"x"}),
            DecodeError::illegal_attachments);
  EXPECT_EQ(illegal(R"(51-["a",{"_placeholder":true,"num":"0"}])", {"x"}),
            DecodeError::illegal_attachments);
  EXPECT_EQ(illegal(R"(51-["a",{"_placeholder":true}])", {"x"}), DecodeError::illegal_attachments);
  EXPECT_EQ(illegal(R"(51-["a",{"deep":[{"_placeholder":true,"num":3}]}])", {"x"}),
            DecodeError::illegal_attachments);
  EXPECT_EQ(illegal(R"(50-["a",)" + kPlaceholder0 + "]", {}), DecodeError::illegal_attachments);
  // A placeholder in a text-only event cannot name an attachment either.
  EXPECT_EQ(illegal(R"(2["a",)" + kPlaceholder0 + "]", {}), DecodeError::illegal_attachments);
  // Only `_placeholder: true` marks a placeholder.
  EXPECT_TRUE(decode(R"(2["a",{"_placeholder":false,"num":9}])").packet);
}

TEST(Encode, EventWithAttachmentsBecomesBinaryEvent) {
  Packet packet{PacketType::event,
                "/",
                std::nullopt,
                boost::json::parse(R"(["file",)" + kPlaceholder0 + "]"),
                {"bytes"}};
  EXPECT_EQ(encode(packet), R"(51-["file",)" + kPlaceholder0 + "]");
}

TEST(Encode, AckWithAttachmentsBecomesBinaryAck) {
  // The answer to `452-789[...]` (docs/protocol-reference.md, Socket.IO events and acks).
  Packet packet{PacketType::ack,
                "/",
                789,
                boost::json::parse("[" + kPlaceholder0 + "," + kPlaceholder1 + "]"),
                {"a", "b"}};
  EXPECT_EQ(encode(packet), "62-789[" + kPlaceholder0 + "," + kPlaceholder1 + "]");
}

TEST(RoundTrip, EncodeThenDecodeGivesThePacketBack) {
  const std::vector<Packet> packets = {
      {PacketType::connect, "/", {}, {}, {}},
      {PacketType::connect, "/ünï", {}, boost::json::parse(R"({"pid":"p","offset":"o"})"), {}},
      {PacketType::event, "/orders", 0, boost::json::parse(R"(["new",{"revenue":12.5}])"), {}},
      {PacketType::event, "/", {}, boost::json::parse(R"(["t","é\n\"",-3,1e300,null])"), {}},
      {PacketType::ack, "/x", 18446744073709551615u, boost::json::parse("[]"), {}},
      {PacketType::connect_error, "/", {}, boost::json::parse(R"("no")"), {}},
      {PacketType::disconnect, "/admin", {}, {}, {}},
      {PacketType::binary_ack,
       "/",
       3,
       boost::json::parse("[" + kPlaceholder0 + "]"),
       {"\x00\x01\x1e"s}},
  };
  for (const auto& packet : packets) {
    const std::string wire = encode(packet);
    SCOPED_TRACE(wire);
    auto decoded = decode(wire, packet.attachments);
    ASSERT_TRUE(decoded.packet) << to_string(decoded.error);
    EXPECT_EQ(decoded.packet->type, packet.type);
    EXPECT_EQ(decoded.packet->nsp, packet.nsp);
    EXPECT_EQ(decoded.packet->id, packet.id);
    EXPECT_EQ(decoded.packet->data, packet.data);
    EXPECT_EQ(decoded.packet->attachments, packet.attachments);
  }
}

TEST(EncodeEvent, WritesNamespaceAckIdAndArguments) {
  EXPECT_EQ(encode_event("/", "order", R"({"id":1},2)"), R"(2["order",{"id":1},2])");
  EXPECT_EQ(encode_event("/", "ping", ""), R"(2["ping"])");
  EXPECT_EQ(encode_event("/admin", "x", "true", 7), R"(2/admin,7["x",true])");
  EXPECT_EQ(encode_event("/", "x", "", 0), R"(20["x"])");
}

TEST(EncodeEvent, EscapesTheNameAsJsonStringifyDoes) {
  // Expected strings are what Node's JSON.stringify writes for the same names.
  EXPECT_EQ(encode_event("/", R"(say "hi")", ""), R"(2["say \"hi\""])");
  EXPECT_EQ(encode_event("/", R"(back\slash/)", ""), R"(2["back\\slash/"])");
  EXPECT_EQ(encode_event("/", "é€😀", ""), "2[\"é€😀\"]");
  EXPECT_EQ(encode_event("/", "\n\t\r\b\f\x01\x1f\x7f", ""),
            "2[\"\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\"]");
}

TEST(EncodeEvent, DecodesToTheSameEvent) {
  const std::string name = "a\"b\\c\n\x01é";
  auto decoded = decode(encode_event("/live", name, R"([1,2],{"k":"v"})", 5));
  ASSERT_TRUE(decoded.packet);
  EXPECT_EQ(decoded.packet->nsp, "/live");
  EXPECT_EQ(decoded.packet->id, 5u);
  EXPECT_EQ(decoded.packet->data,
            (boost::json::array{boost::json::string(name), boost::json::array{1, 2},
                                boost::json::object{{"k", "v"}}}));
}

TEST(ReservedEventNames, AreExactlyTheSixOfSocketIo) {
  EXPECT_TRUE(is_reserved_event_name("connect"));
  EXPECT_TRUE(is_reserved_event_name("removeListener"));
  EXPECT_FALSE(is_reserved_event_name("message"));
  EXPECT_FALSE(is_reserved_event_name("connect "));
}

}  // namespace
}  // namespace pulseboard::sio
