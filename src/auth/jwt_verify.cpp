#include <algorithm>
#include <stdexcept>

#include "auth/crypto.hpp"
#include "auth/jws_compact.hpp"
#include "auth/jwt.hpp"
#include "auth/jwt_claims.hpp"

namespace pulseboard::auth {
namespace {

namespace json = boost::json;

bool iequals_ascii(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

}  // namespace

// Keys exist only for algorithms that are both configured and allowed, so "has a key" is the
// whole allow-list check at verify time.
struct JwtVerifier::Keys {
  std::optional<crypto::HmacSha256> hs256;
  std::optional<crypto::RsaSha256Verifier> rs256;
  bool any_configured = false;
};

JwtVerifier::JwtVerifier(JwtConfig config) : config_(std::move(config)) {
  bool allow_hs256 = config_.allowed_algorithms.empty();
  bool allow_rs256 = config_.allowed_algorithms.empty();
  for (const auto& name : config_.allowed_algorithms) {
    if (name == "HS256") {
      allow_hs256 = true;
    } else if (name == "RS256") {
      allow_rs256 = true;
    } else {
      throw std::invalid_argument("JWT algorithm '" + name +
                                  "' is not supported (only HS256 and RS256)");
    }
  }
  auto keys = std::make_shared<Keys>();
  keys->any_configured = !config_.hs256_secret.empty() || !config_.rs256_public_key_pem.empty();
  if (!config_.hs256_secret.empty() && allow_hs256) keys->hs256.emplace(config_.hs256_secret);
  // A bad PEM is a startup error even when RS256 is not allowed: it is still a mistake.
  if (!config_.rs256_public_key_pem.empty()) {
    crypto::RsaSha256Verifier rs(config_.rs256_public_key_pem);
    if (allow_rs256) keys->rs256.emplace(std::move(rs));
  }
  keys_ = std::move(keys);
}

bool JwtVerifier::enabled() const {
  return keys_ && keys_->any_configured;
}

std::variant<Claims, JwtError> JwtVerifier::verify(
    std::string_view token, std::chrono::system_clock::time_point now) const {
  if (!enabled()) return JwtError::no_key;
  if (token.size() > config_.max_token_bytes) return JwtError::malformed;
  auto jws = split_compact(token);
  if (!jws) return JwtError::malformed;

  auto header = parse_object(jws->header);
  if (!header) return JwtError::bad_json;
  if (const json::value* typ = header->if_contains("typ")) {
    if (!typ->is_string() || !iequals_ascii(typ->get_string(), "JWT")) return JwtError::malformed;
  }
  // We understand no critical extension, and RFC 7515 section 4.1.11 says to reject them.
  if (header->contains("crit")) return JwtError::malformed;
  const json::value* alg_value = header->if_contains("alg");
  if (!alg_value || !alg_value->is_string()) return JwtError::malformed;
  const std::string_view alg = alg_value->get_string();

  bool signature_ok = false;
  if (alg == "HS256") {
    if (!keys_->hs256) return JwtError::algorithm_not_allowed;
    signature_ok = keys_->hs256->verify(jws->signing_input, jws->signature);
  } else if (alg == "RS256") {
    if (!keys_->rs256) return JwtError::algorithm_not_allowed;
    signature_ok = keys_->rs256->verify(jws->signing_input, jws->signature);
  } else {
    return JwtError::unsupported_algorithm;  // "none" in any case lands here too
  }
  if (!signature_ok) return JwtError::bad_signature;

  // The payload is parsed only once its signature holds.
  auto payload = parse_object(jws->payload);
  if (!payload) return JwtError::bad_json;
  return check_claims(std::move(*payload), config_, now);
}

}  // namespace pulseboard::auth
