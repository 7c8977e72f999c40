// The streams adapter's format against values produced under Node 20 by
// `@socket.io/redis-streams-adapter` 0.3.1's own code (its hashCode, JSON.stringify of its entries,
// @msgpack/msgpack 2.8 for sessions and binary entries; docs/protocol-reference.md, Streams
// adapter).
#include "cluster/streams_codec.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace pulseboard::cluster::streams {
namespace {

namespace json = boost::json;
using sharded::DecodeError;
using sharded::MessageType;

Entry entry(std::string data, std::string type = "3", std::string nsp = "/") {
  return Entry{"1700000000000-0",
               {{"uid", "702ef147fbb9fe0f"}, {"nsp", nsp}, {"type", type}, {"data", data}}};
}

TEST(StreamsCodec, StreamNameHashesAsTheNodeAdapterDoes) {
  EXPECT_EQ(stream_name("socket.io", 1, "/anything"), "socket.io");
  // hashCode(nsp) % count, computed by the adapter's util.js under Node.
  EXPECT_EQ(stream_name("socket.io", 3, "/"), "socket.io-2");
  EXPECT_EQ(stream_name("socket.io", 4, "/some-longer-namespace"), "socket.io--3");
  EXPECT_EQ(stream_name("socket.io", 7, "/some-longer-namespace"), "socket.io--3");
  EXPECT_EQ(stream_name("s", 5, "/admin"), "s-3");
  EXPECT_EQ(stream_name("s", 6, "/\xc3\xbc-ns"), "s-5");       // "/ü-ns": one UTF-16 unit for ü
  EXPECT_EQ(stream_name("s", 9, "/\xf0\x9f\x98\x80"), "s-3");  // "/😀": a surrogate pair
}

TEST(StreamsCodec, DecodesABroadcastEntryAsCaptured) {
  auto d = decode_entry(entry(
      R"({"packet":{"type":2,"data":["hello","world"]},"opts":{"rooms":["room1"],"except":[],"flags":{}}})"));
  ASSERT_TRUE(d.message);
  EXPECT_EQ(d.message->type, MessageType::broadcast);
  EXPECT_EQ(d.message->uid, "702ef147fbb9fe0f");
  EXPECT_EQ(d.message->nsp, "/");
  EXPECT_FALSE(d.message->request_id);
  EXPECT_EQ(d.message->opts->rooms, std::vector<std::string>{"room1"});
  EXPECT_EQ(json::serialize(*d.message->packet), R"({"type":2,"data":["hello","world"]})");
}

TEST(StreamsCodec, DecodesABinaryEntryFromBase64Msgpack) {
  // {packet: {type: 2, data: ["bin", <Buffer 01 02 03>]}, opts: {rooms: ["r"], except: [],
  // flags: {}}}, as the adapter writes a broadcast that carries binary.
  auto d = decode_entry(
      entry("gqZwYWNrZXSCpHR5cGUCpGRhdGGSo2JpbsQDAQIDpG9wdHODpXJvb21zkaFypmV4Y2VwdJClZmxhZ3OA"));
  ASSERT_TRUE(d.message);
  ASSERT_EQ(d.message->attachments.size(), 1u);
  EXPECT_EQ(d.message->attachments[0], std::string("\x01\x02\x03", 3));
  EXPECT_EQ(json::serialize(*d.message->packet),
            R"({"type":2,"data":["bin",{"_placeholder":true,"num":0}]})");
}

TEST(StreamsCodec, DecodesJoinLeaveAndDisconnectEntries) {
  auto join = decode_entry(entry(R"({"opts":{"rooms":["a"],"except":[]},"rooms":["b","c"]})", "4"));
  ASSERT_TRUE(join.message);
  EXPECT_EQ(join.message->type, MessageType::sockets_join);
  EXPECT_EQ(join.message->rooms, (std::vector<std::string>{"b", "c"}));
  auto gone = decode_entry(entry(R"({"opts":{"rooms":[],"except":[]},"close":true})", "6"));
  ASSERT_TRUE(gone.message);
  EXPECT_EQ(gone.message->type, MessageType::disconnect_sockets);
  EXPECT_EQ(gone.message->close, true);
}

TEST(StreamsCodec, RefusesEntriesThatAreNoMessage) {
  Entry no_nsp{"1-0", {{"uid", "u"}, {"type", "3"}, {"data", "{}"}}};
  EXPECT_EQ(decode_entry(no_nsp).error, DecodeError::bad_envelope);
  EXPECT_EQ(decode_entry(entry("{}", "three")).error, DecodeError::bad_envelope);
  EXPECT_EQ(decode_entry(entry("{}", "99")).error, DecodeError::unknown_type);
  EXPECT_EQ(decode_entry(entry("not base64 !")).error, DecodeError::bad_data);
  EXPECT_EQ(decode_entry(entry(R"({"packet":)")).error, DecodeError::bad_data);
  // A broadcast without opts or packet: Node would throw on it.
  EXPECT_EQ(decode_entry(entry(R"({"packet":{"type":2,"data":["x"]}})")).error,
            DecodeError::bad_data);
}

TEST(StreamsCodec, RefusesEntriesPastTheirBounds) {
  Limits small;
  small.max_message_bytes = 64;
  std::string big = R"({"packet":{"type":2,"data":["x",")" + std::string(100, 'a') +
                    R"("]},"opts":{"rooms":[],"except":[],"flags":{}}})";
  auto d = decode_entry(entry(big), small);
  EXPECT_EQ(d.error, DecodeError::over_limit);
  EXPECT_EQ(d.crossed, Bound::message_bytes);

  Limits few_rooms;
  few_rooms.max_rooms = 2;
  auto r = decode_entry(
      entry(R"({"packet":{"type":2,"data":["x"]},"opts":{"rooms":["a","b","c"],"except":[]}})"),
      few_rooms);
  EXPECT_EQ(r.error, DecodeError::over_limit);
  EXPECT_EQ(r.crossed, Bound::rooms);
}

TEST(StreamsCodec, BroadcastFieldsAreWhatANodeServerWrites) {
  auto fields = broadcast_fields("bridge", "/", {"live-metrics"}, "metrics-update",
                                 R"({"n":1,"eventId":"e1"})");
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0], (std::pair<std::string, std::string>{"uid", "bridge"}));
  EXPECT_EQ(fields[1], (std::pair<std::string, std::string>{"nsp", "/"}));
  EXPECT_EQ(fields[2], (std::pair<std::string, std::string>{"type", "3"}));
  // JSON.stringify of the same message under Node.
  EXPECT_EQ(fields[3].second,
            R"({"packet":{"type":2,"data":["metrics-update",{"n":1,"eventId":"e1"}]},)"
            R"("opts":{"rooms":["live-metrics"],"except":[],"flags":{}}})");
  // And what it writes reads back as that broadcast.
  Entry e{"1-0", fields};
  auto d = decode_entry(e);
  ASSERT_TRUE(d.message);
  EXPECT_EQ(d.message->opts->rooms, std::vector<std::string>{"live-metrics"});

  auto bare = broadcast_fields("bridge", "/", {"r"}, "ping", "");
  EXPECT_NE(bare[3].second.find(R"("data":["ping"])"), std::string::npos);
}

TEST(StreamsCodec, EntryIds) {
  EXPECT_TRUE(is_entry_id("1700000000000-0"));
  EXPECT_TRUE(is_entry_id("0-12"));
  for (auto bad : {"", "-", "1-", "-1", "1", "a-1", "1-1-1", "1-1 ", "e1"})
    EXPECT_FALSE(is_entry_id(bad)) << bad;
  EXPECT_EQ(next_entry_id("1700000000000-0"), "1700000000000-1");
  EXPECT_EQ(next_entry_id("5-18446744073709551615"), "6-0");
  EXPECT_FALSE(next_entry_id("e1"));
  EXPECT_FALSE(next_entry_id("99999999999999999999999-0"));  // past 64 bits
}

TEST(StreamsCodec, SessionIsByteIdenticalToTheNodeAdapters) {
  // base64(@msgpack/msgpack encode({sid, pid, rooms, data})) under Node.
  constexpr std::string_view kNode =
      "hKNzaWSiczGjcGlkonAxpXJvb21zkqJzMaxsaXZlLW1ldHJpY3OkZGF0YYGjc3VipWFsaWNl";
  Session s{"s1", "p1", {"s1", "live-metrics"}, json::object{{"sub", "alice"}}};
  EXPECT_EQ(encode_session(s), kNode);
  auto back = decode_session(kNode);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sid, "s1");
  EXPECT_EQ(back->pid, "p1");
  EXPECT_EQ(back->rooms, (std::vector<std::string>{"s1", "live-metrics"}));
  EXPECT_EQ(json::serialize(back->data), R"({"sub":"alice"})");
}

TEST(StreamsCodec, RefusesSessionsThatAreNotOne) {
  EXPECT_FALSE(decode_session("not base64 !"));
  EXPECT_FALSE(decode_session(""));
  // {sid: "s1"}: no pid.
  EXPECT_FALSE(decode_session("gaNzaWSiczE="));
  Limits tight;
  tight.max_id_bytes = 1;
  EXPECT_FALSE(decode_session(
      "hKNzaWSiczGjcGlkonAxpXJvb21zkqJzMaxsaXZlLW1ldHJpY3OkZGF0YYGjc3VipWFsaWNl", tight));
}

TEST(StreamsCodec, IncludesSessionAsTheNodeAdapter) {
  BroadcastOptions all;
  EXPECT_TRUE(includes_session({"sid", "a"}, all));
  BroadcastOptions to_a;
  to_a.rooms = {"a"};
  EXPECT_TRUE(includes_session({"sid", "a"}, to_a));
  EXPECT_FALSE(includes_session({"sid", "b"}, to_a));
  BroadcastOptions except_sid;
  except_sid.except = {"sid"};
  EXPECT_FALSE(includes_session({"sid", "a"}, except_sid));
  BroadcastOptions to_socket;
  to_socket.rooms = {"sid"};  // socket.emit() with recovery on: rooms = {socket.id}
  EXPECT_TRUE(includes_session({"sid"}, to_socket));
}

}  // namespace
}  // namespace pulseboard::cluster::streams
