// Expected bytes come from notepack.io 3.0.1 (the version @socket.io/redis-adapter 8.3.0 pins),
// produced with node: `require('notepack.io').encode(value).toString('hex')`.
#include "cluster/msgpack.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace pulseboard::cluster::msgpack {
namespace {

namespace json = boost::json;

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string enc(const json::value& v, const std::vector<std::string>& att = {}) {
  auto out = encode(v, att);
  EXPECT_TRUE(out);
  return out ? hex(*out) : "";
}

json::value dec(std::string_view h, std::vector<std::string>& att) {
  auto r = decode(unhex(h), att);
  auto* v = std::get_if<json::value>(&r);
  EXPECT_TRUE(v) << h;
  return v ? *v : json::value{};
}

DecodeError dec_error(std::string_view bytes) {
  std::vector<std::string> att;
  auto r = decode(bytes, att);
  auto* e = std::get_if<DecodeError>(&r);
  return e ? *e : DecodeError{};
}

TEST(Msgpack, IntegersUseTheSmallestFormatLikeNotepack) {
  auto ints = json::parse(
      "[0,127,128,255,256,65535,65536,4294967295,4294967296,-1,-32,-33,-128,-129,-32768,"
      "-32769,-2147483648,-2147483649,2.0,-0.0,0.1]");
  EXPECT_EQ(enc(ints),
            "dc0015007fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000ffe0d0dfd080d1ff"
            "7fd18000d2ffff7fffd280000000d3ffffffff7fffffff0200cb3fb999999999999a");
}

TEST(Msgpack, FloatsThatAreNotIntegralAreFloat64) {
  EXPECT_EQ(enc(json::value(1.5)), "cb3ff8000000000000");
  // Beyond 64-bit integers: float64 (notepack would wrap it into a meaningless uint64).
  EXPECT_EQ(enc(json::value(1e300)), "cb7e37e43c8800759c");
}

TEST(Msgpack, StringHeadersByLength) {
  EXPECT_EQ(enc(json::value(std::string(31, 'a'))).substr(0, 2), "bf");
  EXPECT_EQ(enc(json::value(std::string(32, 'b'))).substr(0, 4), "d920");
  EXPECT_EQ(enc(json::value(std::string(256, 'c'))).substr(0, 6), "da0100");
  EXPECT_EQ(enc(json::value(std::string(65536, 'd'))).substr(0, 10), "db00010000");
}

TEST(Msgpack, ContainerHeadersByLength) {
  json::array a16(16);
  EXPECT_EQ(enc(a16).substr(0, 6), "dc0010");
  json::object m16;
  for (int i = 0; i < 16; ++i) m16[std::to_string(i + 10)] = i;
  EXPECT_EQ(enc(m16).substr(0, 6), "de0010");
  EXPECT_EQ(enc(json::parse("[1,null,true,false]")), "9401c0c3c2");
}

TEST(Msgpack, PlaceholdersBecomeBinAndBack) {
  json::value v = json::array{"bin", placeholder(0)};
  std::vector<std::string> att{std::string("\x01\x02\x03", 3)};
  EXPECT_EQ(enc(v, att), "92a362696ec403010203");

  std::vector<std::string> got;
  EXPECT_EQ(dec("92a362696ec403010203", got), v);
  EXPECT_EQ(got, att);
}

TEST(Msgpack, WideBinFormatsDecode) {
  std::vector<std::string> att;
  EXPECT_EQ(dec("c50003616263", att), json::value(placeholder(0)));
  EXPECT_EQ(dec("c600000001ff", att), json::value(placeholder(1)));
  EXPECT_EQ(att, (std::vector<std::string>{"abc", "\xff"}));
  std::string big(70000, 'x');
  EXPECT_EQ(enc(placeholder(0), {big}).substr(0, 10), "c600011170");
}

TEST(Msgpack, DecodesEveryScalarWidth) {
  std::vector<std::string> att;
  EXPECT_EQ(dec("d0df", att), json::value(-33));
  EXPECT_EQ(dec("d1ff7f", att), json::value(-129));
  EXPECT_EQ(dec("d2ffff7fff", att), json::value(-32769));
  EXPECT_EQ(dec("d3ffffffff7fffffff", att), json::value(-2147483649ll));
  EXPECT_EQ(dec("cfffffffffffffffff", att), json::value(18446744073709551615ull));
  EXPECT_EQ(dec("ca3fc00000", att), json::value(1.5));
  EXPECT_EQ(dec("d903616263", att), json::value("abc"));
  EXPECT_EQ(dec("da00027e7e", att), json::value("~~"));
  EXPECT_EQ(dec("dc000101", att), json::parse("[1]"));
  EXPECT_EQ(dec("dd0000000101", att), json::parse("[1]"));
  EXPECT_EQ(dec("de0001a16101", att), json::parse(R"({"a":1})"));
  EXPECT_EQ(dec("df00000001a16101", att), json::parse(R"({"a":1})"));
  EXPECT_EQ(dec("8101a162", att), json::parse(R"({"1":"b"})"));  // integer key, as JS does
  EXPECT_EQ(dec("91d40000", att), json::parse("[null]"));        // notepack 2.x undefined
}

TEST(Msgpack, RejectsMalformedInput) {
  EXPECT_EQ(dec_error(""), DecodeError::truncated);
  EXPECT_EQ(dec_error(unhex("a5616263")), DecodeError::truncated);
  EXPECT_EQ(dec_error(unhex("dcffff")), DecodeError::truncated);  // 65535 items, none present
  EXPECT_EQ(dec_error(unhex("c1")), DecodeError::invalid_byte);
  EXPECT_EQ(dec_error(unhex("a2c328")), DecodeError::invalid_utf8);  // str "\xc3(" is not UTF-8
  EXPECT_EQ(dec_error(unhex("d701000000000000000000")), DecodeError::unsupported_ext);
  EXPECT_EQ(dec_error(unhex("c70101ff")), DecodeError::unsupported_ext);
  EXPECT_EQ(dec_error(unhex("d40101")), DecodeError::unsupported_ext);
  EXPECT_EQ(dec_error(unhex("0101")), DecodeError::trailing_bytes);
  EXPECT_EQ(dec_error(unhex("8191c0c0")), DecodeError::bad_key);
}

TEST(Msgpack, BoundsNesting) {
  std::string deep(kMaxDepth + 1, '\x91');
  deep.push_back('\xc0');
  EXPECT_EQ(dec_error(deep), DecodeError::too_deep);
  std::string ok(kMaxDepth, '\x91');
  ok.push_back('\xc0');
  std::vector<std::string> att;
  EXPECT_TRUE(std::holds_alternative<json::value>(decode(ok, att)));

  json::value v = nullptr;
  for (std::size_t i = 0; i < kMaxDepth + 1; ++i) v = json::array{v};
  EXPECT_FALSE(encode(v, {}));
}

TEST(Msgpack, PlaceholderWithoutItsAttachmentIsAnEncodeError) {
  EXPECT_FALSE(encode(json::array{placeholder(1)}, {"only one"}));
  // An object that merely looks similar stays an object.
  EXPECT_EQ(enc(json::parse(R"({"_placeholder":false,"num":0})")),
            "82ac5f706c616365686f6c646572c2a36e756d00");
}

}  // namespace
}  // namespace pulseboard::cluster::msgpack
