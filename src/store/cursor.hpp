#pragma once
// Page cursors: opaque to clients, base64url("<created_at_ms>:<id>") of the last order on the
// previous page. The next page holds orders strictly after it in (created_at DESC, id DESC).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard::store {

struct CursorPosition {
  std::int64_t created_at_ms = 0;
  std::string id;
};

std::string encode_cursor(std::int64_t created_at_ms, std::string_view id);
// nullopt unless the text is base64url of "<ms>:<id>": ms a decimal from 0 (1970) to
// 253402300799999 (the end of year 9999), id 1 to 64 URL-safe base64 characters (A-Z a-z 0-9 - _).
std::optional<CursorPosition> decode_cursor(std::string_view cursor);

}  // namespace pulseboard::store
