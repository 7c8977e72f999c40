#include "store/cursor.hpp"

#include "common/base64.hpp"

#include <charconv>

namespace pulseboard::store {

std::string encode_cursor(std::int64_t created_at_ms, std::string_view id) {
  std::string plain = std::to_string(created_at_ms);
  plain += ':';
  plain += id;
  return base64url_encode(plain);
}

std::optional<CursorPosition> decode_cursor(std::string_view cursor) {
  if (cursor.empty() || cursor.size() > 128) return std::nullopt;
  auto plain = base64url_decode(cursor);
  if (!plain) return std::nullopt;
  const auto colon = plain->find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  CursorPosition pos;
  const char* first = plain->data();
  const char* last = plain->data() + colon;
  auto [end, ec] = std::from_chars(first, last, pos.created_at_ms);
  if (ec != std::errc{} || end != last) return std::nullopt;
  pos.id = plain->substr(colon + 1);
  if (pos.id.empty() || pos.id.size() > 64) return std::nullopt;
  return pos;
}

}  // namespace pulseboard::store
