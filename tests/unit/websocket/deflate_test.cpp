#include "websocket/deflate.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "websocket/frame_parser.hpp"

namespace pulseboard::websocket {
namespace {

// ---- negotiation ---------------------------------------------------------------------------

TEST(DeflateNegotiation, AcceptsABareOfferKeepingTheServerContext) {
  const auto a = negotiate_deflate("permessage-deflate");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate");
  EXPECT_EQ(a->client_window_bits, 15);  // the client keeps its default window
  EXPECT_FALSE(a->client_no_context_takeover);
  EXPECT_FALSE(a->server_no_context_takeover);
}

TEST(DeflateNegotiation, HonoursAClientThatWantsNoServerContext) {
  const auto a = negotiate_deflate("permessage-deflate; server_no_context_takeover");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate; server_no_context_takeover");
  EXPECT_TRUE(a->server_no_context_takeover);
}

TEST(DeflateNegotiation, ChoosesASmallClientWindowWhenTheClientLetsUs) {
  const auto a = negotiate_deflate("permessage-deflate; client_max_window_bits");  // ws, Chrome
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate; client_max_window_bits=9");
  EXPECT_EQ(a->client_window_bits, 9);
}

TEST(DeflateNegotiation, AcceptsClientNoContextTakeoverAndQuotedValues) {
  const auto a = negotiate_deflate(
      "permessage-deflate;client_no_context_takeover; client_max_window_bits=\"12\"");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response,
            "permessage-deflate; client_no_context_takeover; client_max_window_bits=9");
  EXPECT_TRUE(a->client_no_context_takeover);
}

TEST(DeflateNegotiation, AClientCappedAt8IsInflatedWithAtLeast9) {
  const auto a = negotiate_deflate("permessage-deflate; client_max_window_bits=8");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate; client_max_window_bits=8");
  EXPECT_EQ(a->client_window_bits, 9);
}

TEST(DeflateNegotiation, EchoesAServerWindowOf15AndDeclinesASmallerOne) {
  auto a = negotiate_deflate("permessage-deflate; server_max_window_bits=15");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate; server_max_window_bits=15");
  // A smaller server window is declined; the next offer of the list is taken instead.
  a = negotiate_deflate(
      "permessage-deflate; server_max_window_bits=10, permessage-deflate; "
      "client_no_context_takeover");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->client_no_context_takeover);
  EXPECT_EQ(a->response.find("server_max_window_bits"), std::string::npos);
}

TEST(DeflateNegotiation, SkipsOtherExtensions) {
  const auto a = negotiate_deflate("x-webkit-deflate-frame, permessage-deflate");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate");
}

TEST(DeflateNegotiation, DeclinesMalformedOrDuplicateParameters) {
  for (const char* offer : {
           "",
           "x-webkit-deflate-frame",
           "permessage-deflate; client_max_window_bits; client_max_window_bits",
           "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
           "permessage-deflate; mystery_param",
           "permessage-deflate; client_no_context_takeover=1",
           "permessage-deflate; server_max_window_bits",
           "permessage-deflate; client_max_window_bits=16",
           "permessage-deflate; client_max_window_bits=7",
           "permessage-deflate; client_max_window_bits=09",
           "permessage-deflate; client_max_window_bits=abc",
           "permessage-deflate; client_max_window_bits=",
           "permessage-deflate; client_max_window_bits=\"1 0\"",
           "permessage-deflatex",
       }) {
    EXPECT_FALSE(negotiate_deflate(offer)) << offer;
  }
}

// ---- compress once --------------------------------------------------------------------------

std::string inflate_all(std::string_view compressed, std::size_t limit = 1 << 20) {
  Inflater inflater(15);
  std::string out;
  EXPECT_EQ(inflater.inflate(compressed, limit, out), Inflater::Result::ok);
  return out;
}

std::string snapshot_like(std::size_t approx) {
  std::string s = "42[\"metrics-snapshot\",{";
  for (int i = 0; s.size() < approx; ++i)
    s += "\"region-" + std::to_string(i) + "\":{\"orders\":" + std::to_string(i * 37 % 1000) +
         ",\"revenue\":" + std::to_string(i * 7919 % 100000) + "},";
  s += "\"end\":1}]";
  return s;
}

TEST(SharedPayload, CompressesOnceAndEveryCallerGetsTheSameBytes) {
  const auto payload = make_shared_payload(snapshot_like(5500));
  bool first = false, second = false;
  const std::string* a = payload->deflated(6, first);
  const std::string* b = payload->deflated(6, second);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_EQ(a, b);
  EXPECT_LT(a->size(), payload->size() / 3);
  EXPECT_EQ(inflate_all(*a), *payload);
}

TEST(SharedPayload, ManyThreadsShareOneCompression) {
  const auto payload = make_shared_payload(snapshot_like(20000));
  std::atomic<int> made{0};
  std::vector<const std::string*> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      bool now = false;
      seen[i] = payload->deflated(1, now);
      if (now) ++made;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(made.load(), 1);
  for (const std::string* s : seen) EXPECT_EQ(s, seen[0]);
}

TEST(SharedPayload, KeepsNoCompressedFormWhenItIsNotSmaller) {
  std::mt19937 rng(7);
  std::string noise(400, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  bool now = false;
  EXPECT_EQ(make_shared_payload(noise)->deflated(6, now), nullptr);
  EXPECT_TRUE(now);
}

// ---- inflating ------------------------------------------------------------------------------

TEST(Inflater, StopsABombAtTheLimit) {
  std::string bomb;
  ASSERT_TRUE(deflate_message(std::string(10'000'000, 'a'), 9, bomb));
  ASSERT_LT(bomb.size(), 20'000u);
  Inflater inflater(15);
  std::string out;
  EXPECT_EQ(inflater.inflate(bomb, 100'000, out), Inflater::Result::too_big);
  EXPECT_LE(out.capacity(), 2 * 100'001u);  // never grew towards the 10 MB
}

TEST(Inflater, RefusesCorruptData) {
  Inflater inflater(15);
  std::string out;
  EXPECT_EQ(inflater.inflate("\xff\xff\xff\xff garbage", 1000, out), Inflater::Result::corrupt);
}

// What a client that keeps its context sends: one raw deflate stream, sync-flushed per message,
// the flush tail cut off, with a 512-byte window.
std::vector<std::string> client_stream(const std::vector<std::string>& messages, int bits) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<std::string> out;
  for (const std::string& m : messages) {
    std::string buf(m.size() + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(m.data()));
    z.avail_in = static_cast<uInt>(m.size());
    z.next_out = reinterpret_cast<Bytef*>(buf.data());
    z.avail_out = static_cast<uInt>(buf.size());
    EXPECT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
    buf.resize(buf.size() - z.avail_out - 4);
    out.push_back(buf);
  }
  deflateEnd(&z);
  return out;
}

TEST(Inflater, FollowsAClientThatKeepsItsContext) {
  const std::string m = "42[\"order\",{\"id\":12345,\"sku\":\"ABC-123\",\"qty\":3}]";
  const auto wire = client_stream({m, m, m}, 9);
  EXPECT_LT(wire[1].size(), wire[0].size());  // the second refers back to the first
  Inflater inflater(9);
  for (const std::string& w : wire) {
    std::string out;
    ASSERT_EQ(inflater.inflate(w, 1000, out), Inflater::Result::ok);
    EXPECT_EQ(out, m);
  }
}

// ---- the parser with permessage-deflate -----------------------------------------------------

std::string masked(std::uint8_t first_byte, std::string_view payload) {
  std::string f(1, static_cast<char>(first_byte));
  const std::size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(0x80 | n);
  } else {
    EXPECT_LE(n, 0xFFFFu);
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xFF);
  }
  const char key[4] = {0x1, 0x2, 0x3, 0x4};
  f.append(key, 4);
  for (std::size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
  return f;
}

struct Messages : FrameEvents {
  std::vector<std::string> texts;
  void on_message(bool, std::string_view payload) override { texts.emplace_back(payload); }
  void on_ping(std::string_view) override {}
  void on_close(std::uint16_t, std::string_view) override {}
};

FrameError feed(FrameParser& p, std::string bytes, Messages& m) {
  return p.feed(std::span<char>(bytes.data(), bytes.size()), m);
}

std::string compressed(std::string_view text) {
  std::string z;
  EXPECT_TRUE(deflate_message(text, 6, z));
  return z;
}

TEST(DeflateParser, RefusesRsv1WhenDeflateWasNotAgreed) {
  FrameParser p(1000);
  Messages m;
  EXPECT_EQ(feed(p, masked(0xC1, compressed("hello")), m), FrameError::protocol_error);
  EXPECT_TRUE(m.texts.empty());
}

TEST(DeflateParser, InflatesACompressedMessageWhole) {
  FrameParser p(10'000);
  p.enable_inflate(15, true);
  Messages m;
  const std::string text = snapshot_like(3000);
  EXPECT_EQ(feed(p, masked(0xC1, compressed(text)) + masked(0x81, "plain"), m), FrameError::none);
  EXPECT_EQ(m.texts, (std::vector<std::string>{text, "plain"}));
  EXPECT_FALSE(p.holds_inflater());  // client_no_context_takeover: freed after the message
}

TEST(DeflateParser, InflatesAFragmentedMessageMarkedOnItsFirstFrame) {
  FrameParser p(10'000);
  p.enable_inflate(15, false);
  Messages m;
  const std::string z = compressed("a fragmented, compressed message");
  EXPECT_EQ(feed(p, masked(0x41, z.substr(0, 5)) + masked(0x80, z.substr(5)), m), FrameError::none);
  EXPECT_EQ(m.texts, std::vector<std::string>{"a fragmented, compressed message"});
  EXPECT_TRUE(p.holds_inflater());  // the client keeps its context: so does the inflater
}

TEST(DeflateParser, Rsv1IsAProtocolErrorOnContinuationAndControlFrames) {
  for (const std::string& wire : {masked(0x01, "ab") + masked(0xC0, "cd"),  // continuation
                                  masked(0xC9, "ping"),                     // ping
                                  masked(0xA1, "rsv2")}) {                  // another RSV bit
    FrameParser p(1000);
    p.enable_inflate(15, false);
    Messages m;
    EXPECT_EQ(feed(p, wire, m), FrameError::protocol_error);
  }
}

TEST(DeflateParser, ABombFailsWithInflatedTooBig) {
  FrameParser p(100'000);
  p.enable_inflate(15, false);
  Messages m;
  std::string bomb;
  ASSERT_TRUE(deflate_message(std::string(5'000'000, '0'), 9, bomb));
  ASSERT_LT(bomb.size(), 0xFFFFu);
  EXPECT_EQ(feed(p, masked(0xC1, bomb), m), FrameError::inflated_too_big);
  EXPECT_TRUE(m.texts.empty());
  EXPECT_FALSE(p.holds_inflater());
}

TEST(DeflateParser, ValidatesUtf8AfterInflating) {
  FrameParser p(1000);
  p.enable_inflate(15, false);
  Messages m;
  EXPECT_EQ(feed(p, masked(0xC1, compressed("bad \xff utf-8")), m), FrameError::invalid_utf8);
}

}  // namespace
}  // namespace pulseboard::websocket
