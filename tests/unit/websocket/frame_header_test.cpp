#include "websocket/frame_header.hpp"

#include <gtest/gtest.h>

#include "common/utf8.hpp"

namespace pulseboard::websocket {
namespace {

std::string header(Opcode op, std::size_t size) {
  HeaderBytes h;
  return std::string(h.data(), write_header(op, size, h));
}

TEST(FrameHeader, UsesTheShortestLengthEncoding) {
  EXPECT_EQ(header(Opcode::text, 0), std::string("\x81\x00", 2));
  EXPECT_EQ(header(Opcode::text, 125), std::string("\x81\x7D", 2));
  EXPECT_EQ(header(Opcode::binary, 126), std::string("\x82\x7E\x00\x7E", 4));
  EXPECT_EQ(header(Opcode::binary, 65535), std::string("\x82\x7E\xFF\xFF", 4));
  EXPECT_EQ(header(Opcode::text, 65536), std::string("\x81\x7F\0\0\0\0\0\x01\0\0", 10));
}

TEST(FrameHeader, ClosePayloadCarriesTheCodeAndACutReason) {
  EXPECT_EQ(close_payload(1001, "server shutting down"),
            std::string("\x03\xE9", 2) + "server shutting down");
  // 122 ASCII bytes, then a 2-byte character that would end past byte 123: it is dropped
  // whole, never split.
  const std::string reason = std::string(122, 'r') + "\xC3\xA9" + "tail";
  const std::string p = close_payload(1000, reason);
  EXPECT_EQ(p.size(), 2u + 122u);
  EXPECT_TRUE(is_valid_utf8(p.substr(2)));
}

TEST(FrameHeader, ControlFrameIsHeaderAndPayload) {
  EXPECT_EQ(control_frame(Opcode::pong, "hi"), std::string("\x8A\x02hi", 4));
}

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88"));  // é € 📈
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
}

TEST(Utf8, RefusesWhatRfc3629Forbids) {
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // a UTF-16 surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("abc\xE2\x82"));       // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // a lone continuation byte
  EXPECT_FALSE(is_valid_utf8("12345678\xFF"));      // after the ASCII fast path
}

}  // namespace
}  // namespace pulseboard::websocket
