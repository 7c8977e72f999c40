#include "auth/jwt.hpp"

namespace pulseboard::auth {

std::string_view to_string(JwtError error) {
  switch (error) {
    case JwtError::none:
      return "none";
    case JwtError::malformed:
      return "malformed";
    case JwtError::bad_json:
      return "bad_json";
    case JwtError::unsupported_algorithm:
      return "unsupported_algorithm";
    case JwtError::algorithm_not_allowed:
      return "algorithm_not_allowed";
    case JwtError::bad_signature:
      return "bad_signature";
    case JwtError::expired:
      return "expired";
    case JwtError::not_yet_valid:
      return "not_yet_valid";
    case JwtError::wrong_issuer:
      return "wrong_issuer";
    case JwtError::wrong_audience:
      return "wrong_audience";
    case JwtError::missing_claim:
      return "missing_claim";
    case JwtError::no_key:
      return "no_key";
  }
  return "unknown";
}

}  // namespace pulseboard::auth
