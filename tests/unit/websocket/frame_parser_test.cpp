#include "websocket/frame_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "websocket/frame_header.hpp"

namespace pulseboard::websocket {
namespace {

// A frame as a browser sends it: masked, with the shortest length encoding.
std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                         std::uint8_t first_byte_extra = 0) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | first_byte_extra | opcode);
  const std::size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xFF);
  } else {
    f += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((std::uint64_t(n) >> (8 * i)) & 0xFF);
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(key, 4);
  for (std::size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
  return f;
}

struct Recorder : FrameEvents {
  std::vector<std::string> events;
  void on_message(bool text, std::string_view payload) override {
    events.push_back((text ? "text:" : "binary:") + std::string(payload));
  }
  void on_ping(std::string_view payload) override {
    events.push_back("ping:" + std::string(payload));
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }
};

FrameError feed(FrameParser& parser, std::string bytes, Recorder& r) {
  return parser.feed(std::span<char>(bytes.data(), bytes.size()), r);
}

TEST(FrameParser, DeliversAMaskedTextMessage) {
  FrameParser p(1000);
  Recorder r;
  EXPECT_EQ(feed(p, client_frame(0x1, "42[\"hello\"]"), r), FrameError::none);
  EXPECT_EQ(r.events, std::vector<std::string>{"text:42[\"hello\"]"});
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(FrameParser, ReassemblesFramesSplitAcrossReadsByteByByte) {
  FrameParser p(100000);
  Recorder r;
  const std::string big(70000, 'x');  // a 64-bit length
  const std::string wire =
      client_frame(0x1, "2") + client_frame(0x2, std::string(300, 'b')) + client_frame(0x1, big);
  for (char c : wire) ASSERT_EQ(feed(p, std::string(1, c), r), FrameError::none);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[0], "text:2");
  EXPECT_EQ(r.events[1], "binary:" + std::string(300, 'b'));
  EXPECT_EQ(r.events[2], "text:" + big);
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(FrameParser, DeliversSeveralFramesFromOneRead) {
  FrameParser p(1000);
  Recorder r;
  EXPECT_EQ(feed(p, client_frame(0x1, "a") + client_frame(0x9, "p") + client_frame(0x1, "b"), r),
            FrameError::none);
  EXPECT_EQ(r.events, (std::vector<std::string>{"text:a", "ping:p", "text:b"}));
}

TEST(FrameParser, JoinsAFragmentedMessageAroundAControlFrame) {
  FrameParser p(1000);
  Recorder r;
  // "héllo" split inside the two-byte é: each fragment alone is not valid UTF-8.
  const std::string text = "h\xC3\xA9llo";
  std::string wire = client_frame(0x1, text.substr(0, 2), false) + client_frame(0x9, "x") +
                     client_frame(0x0, text.substr(2, 2), false) +
                     client_frame(0x0, text.substr(4), true);
  EXPECT_EQ(feed(p, wire, r), FrameError::none);
  EXPECT_EQ(r.events, (std::vector<std::string>{"ping:x", "text:" + text}));
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(FrameParser, RefusesMalformedFraming) {
  struct Case {
    const char* what;
    std::string wire;
  };
  std::string unmasked = client_frame(0x1, "hi");
  unmasked[1] = static_cast<char>(unmasked[1] & 0x7F);
  std::string non_minimal = {char(0x81), char(0x80 | 126), 0, 5, 1, 2, 3, 4, 'a', 'b', 'c', 'd',
                             'e'};
  const std::vector<Case> cases = {
      {"unmasked", unmasked},
      {"reserved bit", client_frame(0x1, "hi", true, 0x40)},
      {"reserved opcode", client_frame(0x3, "hi")},
      {"fragmented ping", client_frame(0x9, "hi", false)},
      {"long ping", client_frame(0x9, std::string(126, 'p'))},
      {"continuation without a start", client_frame(0x0, "hi")},
      {"new message inside a fragmented one",
       client_frame(0x1, "a", false) + client_frame(0x1, "b")},
      {"close with a one-byte body", client_frame(0x8, "x")},
      {"close with a reserved code", client_frame(0x8, std::string("\x03\xED", 2))},
      {"non-minimal length", non_minimal},
  };
  for (const auto& c : cases) {
    FrameParser p(1000);
    Recorder r;
    EXPECT_EQ(feed(p, c.wire, r), FrameError::protocol_error) << c.what;
    // The error is final: nothing after it is parsed.
    EXPECT_EQ(feed(p, client_frame(0x1, "after"), r), FrameError::protocol_error) << c.what;
    EXPECT_TRUE(r.events.empty() || r.events.back() != "text:after") << c.what;
  }
}

TEST(FrameParser, RefusesAnOversizedFrameFromItsHeaderAlone) {
  FrameParser p(100);
  Recorder r;
  const std::string wire = client_frame(0x2, std::string(101, 'x'));
  EXPECT_EQ(feed(p, wire.substr(0, 4), r), FrameError::too_big);
  EXPECT_EQ(p.buffered(), 0u);
  EXPECT_TRUE(r.events.empty());
}

TEST(FrameParser, RefusesAFragmentedMessageThatGrowsPastTheLimit) {
  FrameParser p(100);
  Recorder r;
  EXPECT_EQ(feed(p, client_frame(0x1, std::string(60, 'a'), false), r), FrameError::none);
  EXPECT_EQ(feed(p, client_frame(0x0, std::string(41, 'a'), true), r), FrameError::too_big);
  EXPECT_TRUE(r.events.empty());
}

TEST(FrameParser, AcceptsAMessageOfExactlyTheLimit) {
  FrameParser p(100);
  Recorder r;
  EXPECT_EQ(feed(p, client_frame(0x1, std::string(100, 'a')), r), FrameError::none);
  EXPECT_EQ(r.events.size(), 1u);
}

TEST(FrameParser, RefusesInvalidUtf8InTextButNotInBinary) {
  const std::string bad = "ok\xC3(";
  {
    FrameParser p(1000);
    Recorder r;
    EXPECT_EQ(feed(p, client_frame(0x1, bad), r), FrameError::invalid_utf8);
    EXPECT_TRUE(r.events.empty());
  }
  {
    FrameParser p(1000);
    Recorder r;
    EXPECT_EQ(feed(p, client_frame(0x2, bad), r), FrameError::none);
    EXPECT_EQ(r.events, std::vector<std::string>{"binary:" + bad});
  }
  {
    FrameParser p(1000);
    Recorder r;
    EXPECT_EQ(feed(p, client_frame(0x8, std::string("\x03\xE8\xFF", 3)), r),
              FrameError::invalid_utf8);
  }
}

TEST(FrameParser, ReportsTheCloseAndIgnoresWhatFollows) {
  FrameParser p(1000);
  Recorder r;
  EXPECT_EQ(
      feed(p, client_frame(0x8, std::string("\x03\xE8", 2) + "bye") + client_frame(0x1, "x"), r),
      FrameError::none);
  EXPECT_TRUE(p.closed());
  EXPECT_EQ(r.events, std::vector<std::string>{"close:1000:bye"});
  EXPECT_EQ(feed(p, client_frame(0x1, "later"), r), FrameError::none);
  EXPECT_EQ(r.events.size(), 1u);
}

TEST(FrameParser, AnEmptyCloseHasNoStatus) {
  FrameParser p(1000);
  Recorder r;
  EXPECT_EQ(feed(p, client_frame(0x8, ""), r), FrameError::none);
  EXPECT_EQ(r.events, std::vector<std::string>{"close:1005:"});
}

TEST(FrameParser, IgnoresPongs) {
  FrameParser p(1000);
  Recorder r;
  EXPECT_EQ(feed(p, client_frame(0xA, "late") + client_frame(0x1, "m"), r), FrameError::none);
  EXPECT_EQ(r.events, std::vector<std::string>{"text:m"});
}

}  // namespace
}  // namespace pulseboard::websocket
