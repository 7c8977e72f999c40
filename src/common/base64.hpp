#pragma once
// Standard and URL-safe base64 (polling binary packets use standard, JWT uses URL-safe without
// padding). Thin wrappers over Boost.Beast's detail codec would tie us to a detail namespace,
// so these few lines are ours.
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);                // no padding
std::optional<std::string> base64url_decode(std::string_view text);  // padding optional

}  // namespace pulseboard
