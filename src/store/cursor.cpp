#include "store/cursor.hpp"

#include "common/base64.hpp"

#include <charconv>

namespace pulseboard::store {
namespace {

constexpr std::int64_t kLatestCursorMs = 253402300799999;  // 9999-12-31T23:59:59.999Z
constexpr std::string_view kIdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

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
  // Only positions an issued cursor can hold: the time of an order the server created (its
  // clock, after 1970, before year 10000) and an id of the store's alphabet. Anything else
  // would reach the database as a value it may refuse (PostgreSQL: bytes that are not UTF-8,
  // years it cannot hold) and fail the request with 500 instead of this 400.
  if (pos.created_at_ms < 0 || pos.created_at_ms > kLatestCursorMs) return std::nullopt;
  pos.id = plain->substr(colon + 1);
  if (pos.id.empty() || pos.id.size() > 64 ||
      pos.id.find_first_not_of(kIdAlphabet) != std::string::npos)
    return std::nullopt;
  return pos;
}

}  // namespace pulseboard::store
