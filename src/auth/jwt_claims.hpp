#pragma once
// The registered-claim checks of RFC 7519 section 4.1 that the gateway relies on, plus the rooms
// and scope claims. Runs only on a payload whose signature has already been checked.
#include <chrono>
#include <variant>

#include "auth/jwt.hpp"

namespace pulseboard::auth {

std::variant<Claims, JwtError> check_claims(boost::json::object payload, const JwtConfig& config,
                                            std::chrono::system_clock::time_point now);

}  // namespace pulseboard::auth
