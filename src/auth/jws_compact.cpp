#include "auth/jws_compact.hpp"

#include "common/base64.hpp"

namespace pulseboard::auth {
namespace {

std::optional<std::string> decode_canonical(std::string_view segment) {
  if (segment.find('=') != std::string_view::npos) return std::nullopt;
  auto bytes = base64url_decode(segment);
  // The decoder ignores the unused low bits of the last character; re-encoding exposes them.
  if (!bytes || base64url_encode(*bytes) != segment) return std::nullopt;
  return bytes;
}

}  // namespace

std::optional<CompactJws> split_compact(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (token.find('.', second + 1) != std::string_view::npos) return std::nullopt;

  CompactJws jws;
  jws.signing_input = token.substr(0, second);
  auto header = decode_canonical(token.substr(0, first));
  auto payload = decode_canonical(token.substr(first + 1, second - first - 1));
  auto signature = decode_canonical(token.substr(second + 1));
  if (!header || !payload || !signature) return std::nullopt;
  jws.header = std::move(*header);
  jws.payload = std::move(*payload);
  jws.signature = std::move(*signature);
  return jws;
}

std::string signing_input(std::string_view header_json, std::string_view payload_json) {
  return base64url_encode(header_json) + '.' + base64url_encode(payload_json);
}

}  // namespace pulseboard::auth
