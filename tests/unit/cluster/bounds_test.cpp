// The bounds on what a Redis peer (or a client's ack forwarded to one) can make a gateway
// decode or build (cluster/limits.hpp, docs/redis.md "Bounds on peer input"). The attack
// shapes are built small: a refused expansion must cost no more than the value it came from,
// which the allocation tracker below checks.
#include "cluster/limits.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <stdexcept>

#include "cluster/adapter_codec.hpp"
#include "cluster/msgpack.hpp"
#include "cluster/sharded_codec.hpp"

// ---- allocation tracking (operator new of this test binary) ----

namespace {
std::atomic<bool> tracking{false};
std::atomic<std::size_t> largest_allocation{0};
std::atomic<std::size_t> allocated_bytes{0};

void* allocate(std::size_t n) {
  if (tracking.load(std::memory_order_relaxed)) {
    allocated_bytes.fetch_add(n, std::memory_order_relaxed);
    auto seen = largest_allocation.load(std::memory_order_relaxed);
    while (n > seen && !largest_allocation.compare_exchange_weak(seen, n)) {
    }
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace pulseboard::cluster {
namespace {

namespace json = boost::json;

// What `fn` allocates: the largest single block and the total.
struct Allocations {
  std::size_t largest = 0, total = 0;
};
template <class F>
Allocations allocations_of(F&& fn) {
  largest_allocation = 0;
  allocated_bytes = 0;
  tracking = true;
  fn();
  tracking = false;
  return {largest_allocation.load(), allocated_bytes.load()};
}

constexpr std::size_t kMiB = 1024 * 1024;

// The attack: `copies` placeholders that all name attachment 0, `attachment` bytes long.
// 10,000 × 1 MiB would expand to 10 GiB; the value itself is about 2 MB.
json::array duplicated_placeholders(std::size_t copies) {
  json::array a;
  a.reserve(copies);
  for (std::size_t i = 0; i < copies; ++i) a.push_back(msgpack::placeholder(0));
  return a;
}

std::string be32(std::uint32_t n) {
  std::string out;
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out;
}

// msgpack `[uid, {type:2, data:["ev"], nsp:"/"}, {rooms: <rooms>, except: []}]`
std::string broadcast_with_rooms(const std::vector<std::string>& rooms) {
  BroadcastMessage m;
  m.uid = "peer01";
  m.data = json::array{"ev"};
  m.opts.rooms = rooms;
  Limits unbounded;
  unbounded.max_encoded_bytes = 64 * kMiB;
  return encode_broadcast(m, unbounded);
}

TEST(Bounds, EncodedSizeIsExactlyWhatEncodeWrites) {
  std::vector<std::string> att{std::string(300, 'x'), std::string(70000, 'y')};
  json::value v = json::parse(
      R"([1,-1,300,-40000,4294967296,1.5,"s",null,true,{"k":[{"_placeholder":true,"num":1}]},)"
      R"({"_placeholder":true,"num":0},{"_placeholder":true,"num":0}])");
  auto bytes = msgpack::encode(v, att);
  ASSERT_TRUE(bytes);
  auto size = msgpack::encoded_size(v, att);
  ASSERT_TRUE(std::holds_alternative<std::size_t>(size));
  EXPECT_EQ(std::get<std::size_t>(size), bytes->size());
  // encode_bounded at exactly that size succeeds, one byte less is too large.
  auto exact = msgpack::encode_bounded(v, att, bytes->size());
  ASSERT_TRUE(std::holds_alternative<std::string>(exact));
  EXPECT_EQ(std::get<std::string>(exact), *bytes);
  auto under = msgpack::encode_bounded(v, att, bytes->size() - 1);
  ASSERT_TRUE(std::holds_alternative<msgpack::EncodeError>(under));
  EXPECT_EQ(std::get<msgpack::EncodeError>(under), msgpack::EncodeError::too_large);
  // A missing attachment is another error than size.
  auto missing = msgpack::encoded_size(json::parse(R"([{"_placeholder":true,"num":2}])"), att);
  EXPECT_EQ(std::get<msgpack::EncodeError>(missing), msgpack::EncodeError::unencodable);
}

TEST(Bounds, DuplicatedPlaceholdersAreRefusedWithoutAllocatingTheExpansion) {
  std::vector<std::string> att{std::string(kMiB, 'a')};  // one 1 MiB attachment
  json::value value = duplicated_placeholders(10000);    // named 10,000 times: 10 GiB
  std::variant<std::string, msgpack::EncodeError> encoded;
  auto cost = allocations_of([&] { encoded = msgpack::encode_bounded(value, att, 8 * kMiB); });
  ASSERT_TRUE(std::holds_alternative<msgpack::EncodeError>(encoded));
  EXPECT_EQ(std::get<msgpack::EncodeError>(encoded), msgpack::EncodeError::too_large);
  EXPECT_EQ(cost.total, 0u) << "sizing allocates nothing";
}

TEST(Bounds, AClientAckWithDuplicatedPlaceholdersIsNotForwarded) {
  // What a client can send as its ack within the gateway's 1 MB max payload: a 1 MiB binary
  // and tens of thousands of placeholders naming it. The gateway forwards the first ack
  // argument as BROADCAST_ACK (classic) or type 12 (sharded), both msgpack.
  std::vector<std::string> att{std::string(kMiB, 'a')};
  Response r;
  r.type = RequestType::broadcast_ack;
  r.request_id = "req1";
  r.packet = duplicated_placeholders(10000);
  r.attachments = att;
  Bound crossed = Bound::none;
  std::string bytes;
  auto cost = allocations_of([&] { bytes = encode_response(r, Limits{}, &crossed); });
  EXPECT_TRUE(bytes.empty());
  EXPECT_EQ(crossed, Bound::encoded_bytes);
  // The response object copies the ack once (about 2 MB in small blocks); nothing near the
  // 10 GiB expansion, nor even one attachment's size, is allocated.
  EXPECT_LT(cost.largest, kMiB);
  EXPECT_LT(cost.total, 16 * kMiB);

  sharded::Message m;
  m.type = sharded::MessageType::broadcast_ack;
  m.uid = "0123456789abcdef";
  m.request_id = "req1";
  m.packet = duplicated_placeholders(10000);
  m.attachments = att;
  crossed = Bound::none;
  cost = allocations_of([&] { bytes = sharded::encode(m, Limits{}, &crossed); });
  EXPECT_TRUE(bytes.empty());
  EXPECT_EQ(crossed, Bound::encoded_bytes);
  EXPECT_LT(cost.largest, kMiB);
}

TEST(Bounds, AnAckWithinTheBoundStillRoundTrips) {
  std::vector<std::string> att{std::string(100000, 'b'), "\x01\x02"};
  Response r;
  r.type = RequestType::broadcast_ack;
  r.request_id = "req2";
  r.packet =
      json::value{{"blob", msgpack::placeholder(0)}, {"small", msgpack::placeholder(1)}, {"n", 42}};
  r.attachments = att;
  Bound crossed = Bound::memory;
  auto bytes = encode_response(r, Limits{}, &crossed);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(crossed, Bound::none);
  auto back = decode_response(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
  // The same placeholder twice is not malformed: within the bound it is written out twice.
  r.packet = json::array{msgpack::placeholder(0), msgpack::placeholder(0)};
  bytes = encode_response(r);
  ASSERT_FALSE(bytes.empty());
  EXPECT_GT(bytes.size(), 200000u);
}

TEST(Bounds, ABroadcastBuiltPastTheBoundIsEmpty) {
  BroadcastMessage m;
  m.uid = "abcdef";
  m.data = json::array{"ev", duplicated_placeholders(100)};
  m.attachments = {std::string(100000, 'c')};  // 100 × 100 kB = 10 MB > 8 MiB
  Bound crossed = Bound::none;
  EXPECT_TRUE(encode_broadcast(m, Limits{}, &crossed).empty());
  EXPECT_EQ(crossed, Bound::encoded_bytes);
  Limits wide;
  wide.max_encoded_bytes = 16 * kMiB;
  EXPECT_GT(encode_broadcast(m, wide, &crossed).size(), 10000000u);
  EXPECT_EQ(crossed, Bound::none);
}

TEST(Bounds, JsonResponsesAreBoundedToo) {
  // A fetchSockets answer is JSON built from local sockets; past the bound it is not sent.
  Response r;
  r.request_id = "req3";
  json::array sockets;
  for (int i = 0; i < 100; ++i) sockets.emplace_back(std::string(1000, 'x'));
  r.sockets = std::move(sockets);
  Limits small;
  small.max_encoded_bytes = 50000;
  Bound crossed = Bound::none;
  EXPECT_TRUE(encode_response(r, small, &crossed).empty());
  EXPECT_EQ(crossed, Bound::encoded_bytes);
  EXPECT_FALSE(encode_response(r).empty());
}

TEST(Bounds, OversizedMessagesAreRefusedBeforeDecoding) {
  Limits limits;
  std::string big(limits.max_message_bytes + 1, '\xc0');
  Bound crossed = Bound::none;
  auto cost = allocations_of([&] { EXPECT_FALSE(decode_broadcast(big, limits, &crossed)); });
  EXPECT_EQ(crossed, Bound::message_bytes);
  EXPECT_EQ(cost.total, 0u);
  crossed = Bound::none;
  EXPECT_FALSE(decode_request(big, limits, &crossed));
  EXPECT_EQ(crossed, Bound::message_bytes);
  big[0] = '{';  // the JSON form too
  crossed = Bound::none;
  EXPECT_FALSE(decode_request(big, limits, &crossed));
  EXPECT_EQ(crossed, Bound::message_bytes);
  auto d = sharded::decode(big, limits);
  EXPECT_FALSE(d.message);
  EXPECT_EQ(d.error, sharded::DecodeError::over_limit);
  EXPECT_EQ(d.crossed, Bound::message_bytes);
}

TEST(Bounds, ManyRoomsAreRefusedAndTheBoundItselfIsAccepted) {
  std::vector<std::string> rooms;
  for (int i = 0; i < 1024; ++i) rooms.push_back("r" + std::to_string(i));
  Bound crossed = Bound::memory;
  auto ok = decode_broadcast(broadcast_with_rooms(rooms), Limits{}, &crossed);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->opts.rooms.size(), 1024u);
  EXPECT_EQ(crossed, Bound::none);
  rooms.push_back("one-too-many");
  EXPECT_FALSE(decode_broadcast(broadcast_with_rooms(rooms), Limits{}, &crossed));
  EXPECT_EQ(crossed, Bound::rooms);

  // except, a JSON request's rooms, and the sharded adapter's opts.
  std::string except_json = R"({"uid":"x","requestId":"1","type":5,"opts":{"rooms":[],"except":[)";
  for (int i = 0; i < 1025; ++i) except_json += (i ? ",\"e" : "\"e") + std::to_string(i) + "\"";
  except_json += "]}}";
  crossed = Bound::none;
  EXPECT_FALSE(decode_request(except_json, Limits{}, &crossed));
  EXPECT_EQ(crossed, Bound::rooms);
  std::string join_json = R"({"uid":"x","type":2,"opts":{"rooms":[],"except":[]},"rooms":[)";
  for (int i = 0; i < 1025; ++i) join_json += (i ? ",\"j" : "\"j") + std::to_string(i) + "\"";
  join_json += "]}";
  crossed = Bound::none;
  EXPECT_FALSE(decode_request(join_json, Limits{}, &crossed));
  EXPECT_EQ(crossed, Bound::rooms);
  std::string sharded_json = R"({"type":4,"data":{"opts":{"rooms":[],"except":[]},"rooms":[)";
  for (int i = 0; i < 1025; ++i) sharded_json += (i ? ",\"j" : "\"j") + std::to_string(i) + "\"";
  sharded_json += R"(]},"uid":"0123456789abcdef","nsp":"/"})";
  auto d = sharded::decode(sharded_json);
  EXPECT_EQ(d.error, sharded::DecodeError::over_limit);
  EXPECT_EQ(d.crossed, Bound::rooms);
}

TEST(Bounds, LongRoomNamesAndIdsAreRefused) {
  Bound crossed = Bound::none;
  EXPECT_FALSE(
      decode_broadcast(broadcast_with_rooms({std::string(1025, 'r')}), Limits{}, &crossed));
  EXPECT_EQ(crossed, Bound::room_bytes);
  EXPECT_TRUE(decode_broadcast(broadcast_with_rooms({std::string(1024, 'r')})));

  BroadcastMessage m;
  m.uid = std::string(257, 'u');
  m.data = json::array{"ev"};
  crossed = Bound::none;
  EXPECT_FALSE(decode_broadcast(encode_broadcast(m), Limits{}, &crossed));
  EXPECT_EQ(crossed, Bound::id_bytes);

  std::string long_id(300, 'i');
  crossed = Bound::none;
  EXPECT_FALSE(decode_request(R"({"uid":"x","requestId":")" + long_id + R"(","type":1})", Limits{},
                              &crossed));
  EXPECT_EQ(crossed, Bound::id_bytes);
  auto d = sharded::decode(R"({"type":7,"data":{"opts":{"rooms":[],"except":[]},"requestId":")" +
                           long_id + R"("},"uid":"0123456789abcdef","nsp":"/"})");
  EXPECT_EQ(d.error, sharded::DecodeError::over_limit);
  EXPECT_EQ(d.crossed, Bound::id_bytes);
  d = sharded::decode(R"({"type":2,"uid":")" + long_id + R"(","nsp":"/"})");
  EXPECT_EQ(d.crossed, Bound::id_bytes);
}

TEST(Bounds, TooManyAttachmentsOrValuesAreRefused) {
  // 1,001 empty `bin` values: two bytes each, each one an attachment and a placeholder object.
  std::string bins = "\xdd" + be32(1001);
  for (int i = 0; i < 1001; ++i) bins += std::string("\xc4\x00", 2);
  std::vector<std::string> att;
  msgpack::DecodeLimits limits{.max_attachments = 1000};
  auto r = msgpack::decode(bins, att, limits);
  ASSERT_TRUE(std::holds_alternative<msgpack::DecodeError>(r));
  EXPECT_EQ(std::get<msgpack::DecodeError>(r), msgpack::DecodeError::too_many_attachments);

  // An array header announcing 2^20 + 1 nils: refused before room is reserved for them.
  std::string nils = "\xdd" + be32(1024 * 1024 + 1) + std::string(1024 * 1024 + 1, '\xc0');
  att.clear();
  std::variant<json::value, msgpack::DecodeError> decoded;
  auto cost = allocations_of([&] {
    decoded = msgpack::decode(nils, att, msgpack::DecodeLimits{.max_values = 1024 * 1024});
  });
  ASSERT_TRUE(std::holds_alternative<msgpack::DecodeError>(decoded));
  EXPECT_EQ(std::get<msgpack::DecodeError>(decoded), msgpack::DecodeError::too_many_values);
  EXPECT_EQ(cost.total, 0u);

  // Through the codecs, as Bound::attachments and Bound::values.
  std::string request =
      "\x81\xa6packet\x82\xa4type\x02\xa4"
      "data" +
      bins;
  Bound crossed = Bound::none;
  EXPECT_FALSE(decode_request(request, Limits{}, &crossed));
  EXPECT_EQ(crossed, Bound::attachments);
  // Small maps, {"":null} three values each: 400 of them cross a bound of 1,000 values (the
  // default bound, a million, works the same way on a 3 MB message).
  std::string maps = "\xdd" + be32(400);
  for (int i = 0; i < 400; ++i) maps += std::string("\x81\xa0\xc0", 3);
  Limits few_values;
  few_values.max_values = 1000;
  auto d = sharded::decode(
      "\x84\xa4type\x03\xa4"
      "data" +
          maps + "\xa3uid\xa1x\xa3nsp\xa1/",
      few_values);
  EXPECT_EQ(d.error, sharded::DecodeError::over_limit);
  EXPECT_EQ(d.crossed, Bound::values);

  // JSON too, counted before it is parsed: 1,500 numbers are over 1,000 values; commas and
  // brackets inside a string (escaped quotes included) are not values.
  std::string numbers = R"({"uid":"x","type":6,"data":[0)";
  for (int i = 0; i < 1500; ++i) numbers += ",0";
  numbers += "]}";
  crossed = Bound::none;
  EXPECT_FALSE(decode_request(numbers, few_values, &crossed));
  EXPECT_EQ(crossed, Bound::values);
  EXPECT_TRUE(decode_request(numbers));
  std::string text = R"({"uid":"x","type":6,"data":"\")" + std::string(5000, ',') + R"([{:"})";
  EXPECT_TRUE(decode_request(text, few_values, &crossed));
  EXPECT_EQ(crossed, Bound::none);
}

TEST(Bounds, DeepNestingIsOverLimitNotMalformed) {
  // 64 nested arrays or maps are the bound, in msgpack and in JSON alike.
  auto nested_msgpack = [](std::size_t levels) { return std::string(levels, '\x91') + '\xc0'; };
  std::vector<std::string> att;
  EXPECT_TRUE(std::holds_alternative<json::value>(msgpack::decode(nested_msgpack(64), att)));
  Bound crossed = Bound::none;
  EXPECT_FALSE(decode_broadcast(nested_msgpack(65), Limits{}, &crossed));
  EXPECT_EQ(crossed, Bound::depth);
  // The request object is one level; its data 63 more.
  auto nested_json = [](std::size_t levels) {
    return R"({"uid":"x","type":6,"data":)" + std::string(levels, '[') + std::string(levels, ']') +
           "}";
  };
  crossed = Bound::memory;
  auto ok = decode_request(nested_json(63), Limits{}, &crossed);
  ASSERT_TRUE(ok);
  EXPECT_EQ(crossed, Bound::none);
  // A request decoded from JSON encodes as msgpack (type 7) or JSON within the same bound.
  EXPECT_FALSE(encode_request(*ok).empty());
  EXPECT_FALSE(decode_request(nested_json(64), Limits{}, &crossed));
  EXPECT_EQ(crossed, Bound::depth);
}

TEST(Bounds, PlaceholdersMustNameAnAttachment) {
  // A peer can write a placeholder object itself; one that names no attachment would make
  // socket.io-client drop its connection, so the gateway forwards none.
  auto v =
      json::parse(R"(["ev",{"_placeholder":true,"num":0},[{"k":{"_placeholder":true,"num":1}}]])");
  EXPECT_TRUE(msgpack::placeholders_in_range(v, 2));
  EXPECT_FALSE(msgpack::placeholders_in_range(v, 1));
  EXPECT_FALSE(msgpack::placeholders_in_range(json::parse(R"([{"_placeholder":true}])"), 1));
  EXPECT_FALSE(
      msgpack::placeholders_in_range(json::parse(R"([{"_placeholder":true,"num":-1}])"), 1));
  EXPECT_FALSE(
      msgpack::placeholders_in_range(json::parse(R"([{"_placeholder":true,"num":"0"}])"), 1));
  EXPECT_FALSE(
      msgpack::placeholders_in_range(json::parse(R"([{"_placeholder":true,"num":0.5}])"), 1));
  // Not placeholders, or placeholders with more keys (as the client's decoder accepts them).
  EXPECT_TRUE(
      msgpack::placeholders_in_range(json::parse(R"([{"_placeholder":false,"num":9}])"), 0));
  EXPECT_TRUE(
      msgpack::placeholders_in_range(json::parse(R"([{"_placeholder":true,"num":0,"x":1}])"), 1));
}

TEST(Bounds, MalformedIsNotOverLimit) {
  Bound crossed = Bound::memory;
  EXPECT_FALSE(decode_broadcast("\x93\x01", Limits{}, &crossed));
  EXPECT_EQ(crossed, Bound::none);
  auto d = sharded::decode("{\"type\":3}");
  EXPECT_EQ(d.error, sharded::DecodeError::bad_envelope);
  EXPECT_EQ(d.crossed, Bound::none);
}

TEST(Bounds, SmallerLimitsAreHonoured) {
  Limits tight;
  tight.max_message_bytes = 20;
  BroadcastMessage m;
  m.uid = "abcdef";
  m.data = json::array{"hello", "world"};
  auto bytes = encode_broadcast(m);
  ASSERT_GT(bytes.size(), 20u);
  Bound crossed = Bound::none;
  EXPECT_FALSE(decode_broadcast(bytes, tight, &crossed));
  EXPECT_EQ(crossed, Bound::message_bytes);
  EXPECT_EQ(decode_broadcast(bytes), m);
}

TEST(Bounds, FanOut) {
  Limits limits;  // 64 MiB
  EXPECT_TRUE(fanout_within(0, 1u << 30, limits));
  EXPECT_TRUE(fanout_within(10000, 6000, limits));   // 10,000 copies of 6 kB: 60 MB
  EXPECT_FALSE(fanout_within(10000, 7000, limits));  // 70 MB
  EXPECT_FALSE(fanout_within(std::size_t(1) << 40, std::size_t(1) << 40, limits));  // no wrap
  EXPECT_EQ(join_cost_per_socket(3, 30), 30u + 3 * 64);
  auto data = json::parse(R"(["question",{"a":[1,2,3]}])");
  EXPECT_EQ(ack_cost_per_socket(data, {"xyz"}),
            64 + std::string(R"(["question",{"a":[1,2,3]}])").size() + 3);
  // A packet larger than the serializer's buffer is measured in full.
  json::value large = json::array{"ev", std::string(100000, 'q')};
  EXPECT_EQ(ack_cost_per_socket(large, {}), 64 + std::string(R"(["ev",""])").size() + 100000);
}

TEST(Bounds, RefuseOnBadAlloc) {
  EXPECT_EQ(refuse_on_bad_alloc([] {}), Bound::none);
  EXPECT_EQ(refuse_on_bad_alloc([] { throw std::bad_alloc(); }), Bound::memory);
  EXPECT_EQ(refuse_on_bad_alloc([] { throw std::bad_array_new_length(); }), Bound::memory);
  EXPECT_THROW(refuse_on_bad_alloc([] { throw std::runtime_error("bug"); }), std::runtime_error);
}

TEST(Bounds, WarnLimiterLetsOneLineAWindowThroughAndCountsTheRest) {
  using namespace std::chrono;
  WarnLimiter limiter(1, seconds(10));
  auto t0 = steady_clock::time_point{} + hours(1);
  EXPECT_EQ(limiter.admit(t0), std::optional<std::uint64_t>(0));
  EXPECT_FALSE(limiter.admit(t0 + seconds(1)));
  EXPECT_FALSE(limiter.admit(t0 + seconds(9)));
  EXPECT_EQ(limiter.admit(t0 + seconds(10)), std::optional<std::uint64_t>(2));
  EXPECT_FALSE(limiter.admit(t0 + seconds(11)));
  EXPECT_EQ(limiter.admit(t0 + seconds(30)), std::optional<std::uint64_t>(1));
}

TEST(Bounds, NamesOfBounds) {
  EXPECT_EQ(to_string(Bound::encoded_bytes), "encoded size");
  EXPECT_EQ(to_string(Bound::memory), "memory (std::bad_alloc)");
}

}  // namespace
}  // namespace pulseboard::cluster
