#pragma once
// The compact serialization of a JWS (RFC 7515 section 7.1): three base64url segments.
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard::auth {

struct CompactJws {
  std::string_view signing_input;  // "header.payload" exactly as received, what was signed
  std::string header;              // decoded bytes
  std::string payload;
  std::string signature;
};

// nullopt unless the token is exactly three segments, each in canonical unpadded base64url
// (no '=', no stray bits in the last character), so one signature has exactly one spelling.
std::optional<CompactJws> split_compact(std::string_view token);

// base64url("header") + "." + base64url("payload"): the part a signature covers.
std::string signing_input(std::string_view header_json, std::string_view payload_json);

}  // namespace pulseboard::auth
