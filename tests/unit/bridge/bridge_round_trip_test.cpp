// What the worker writes (to_json) is what the gateway reads (parse): every field comes back
// unchanged, and the text on the wire is the same bytes the worker wrote when it serialized the
// message as one JSON object in the order room, event, retain, data.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

#include "bridge/bridge_message.hpp"
#include "common/json_text.hpp"

namespace pulseboard::bridge {
namespace {
namespace json = boost::json;

// The message as a single JSON object, the way the worker wrote it before to_json existed.
std::string as_one_object(const Message& m, const json::object& data) {
  json::object o{{"room", m.room}, {"event", m.event}};
  if (m.nsp != "/") o["nsp"] = m.nsp;
  if (m.retain) o["retain"] = true;
  o["data"] = data;
  return to_json_text(o);
}

// Builds `m` with `data`, checks the bytes, parses it back and returns what the gateway read.
Message round_trip(Message m, const json::object& data) {
  m.args = to_json_text(data);
  const std::string text = to_json(m);
  EXPECT_EQ(text, as_one_object(m, data));
  std::optional<Message> read = parse(text, limits());
  EXPECT_TRUE(read) << text;
  if (!read) return {};
  EXPECT_EQ(read->nsp, m.nsp);
  EXPECT_EQ(read->room, m.room);
  EXPECT_EQ(read->event, m.event);
  EXPECT_EQ(read->retain, m.retain);
  EXPECT_EQ(read->args, m.args);
  return *read;
}

TEST(BridgeRoundTrip, AnUpdateComesBackWithItsEventIdAsTheOffset) {
  const json::object data{{"id", "o-1"}, {"amount", 42.5}, {"eventId", "sqlite:17"}};
  Message read = round_trip({.room = "live-metrics", .event = "metrics-update"}, data);
  EXPECT_EQ(read.offset, "sqlite:17");
  EXPECT_EQ(to_json({.room = "live-metrics", .event = "metrics-update", .args = read.args}),
            R"({"room":"live-metrics","event":"metrics-update","data":)"
            R"({"id":"o-1","amount":42.5,"eventId":"sqlite:17"}})");
}

TEST(BridgeRoundTrip, ARetainedSnapshotKeepsRetainAndItsField) {
  const json::object data{{"count", 3}, {"resnapshot", true}};
  Message m{.room = "live-metrics", .event = "metrics-snapshot", .retain = true};
  Message read = round_trip(m, data);
  EXPECT_TRUE(read.offset.empty());
  EXPECT_EQ(retained_field(read), R"(["/","live-metrics","metrics-snapshot"])");
  EXPECT_EQ(retained_field(read), retained_field(m));
}

TEST(BridgeRoundTrip, AnOffsetPastItsBoundIsNotTaken) {
  const std::string long_id(Message::kMaxOffset + 1, '9');
  EXPECT_TRUE(round_trip({.room = "r", .event = "e"}, {{"eventId", long_id}}).offset.empty());
  const std::string id(Message::kMaxOffset, '9');
  EXPECT_EQ(round_trip({.room = "r", .event = "e"}, {{"eventId", id}}).offset, id);
}

TEST(BridgeRoundTrip, UnicodeIsKeptByteForByte) {
  Message m{.nsp = "/caf\xc3\xa9",
            .room = "\xe6\xbc\xa2\xe5\xad\x97 room",
            .event = "upd\xf0\x9f\x99\x82te"};
  Message read =
      round_trip(m, {{"eventId", "\xc3\xa9v\xe2\x82\xac"}, {"name", "\xf0\x9f\x93\x88"}});
  EXPECT_EQ(read.offset, "\xc3\xa9v\xe2\x82\xac");
  EXPECT_EQ(retained_field(read), retained_field(m));
}

TEST(BridgeRoundTrip, BinaryLookingStringsAreEscapedAndComeBack) {
  std::string controls;
  for (char c = 0; c < 0x20; ++c) controls += c;
  controls += "\x7f\"\\/";
  Message m{.room = controls, .event = "e\\u0000\"}{", .retain = true};
  Message read = round_trip(m, {{"blob", controls}, {"eventId", std::string("a\0b", 3)}});
  EXPECT_EQ(read.offset, std::string("a\0b", 3));
  EXPECT_EQ(retained_field(read), retained_field(m));
}

TEST(BridgeRoundTrip, WithoutDataThereIsNoDataMember) {
  const std::string text = to_json({.room = "r", .event = "e"});
  EXPECT_EQ(text, R"({"room":"r","event":"e"})");
  std::optional<Message> read = parse(text);
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->args.empty());
  EXPECT_FALSE(read->retain);
}

}  // namespace
}  // namespace pulseboard::bridge
