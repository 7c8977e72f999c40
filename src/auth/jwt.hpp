#pragma once
// JSON Web Tokens (RFC 7519) as the gateway's CONNECT handshake and the API check them:
// compact JWS with HS256 or RS256 only. docs/auth.md states the policy.
#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pulseboard::auth {

enum class JwtError {
  none,
  malformed,              // not three canonical base64url segments, bad "typ"/"alg"/"crit"
  bad_json,               // header or payload is not a JSON object, or a claim has the wrong type
  unsupported_algorithm,  // "none" (any case) or anything but HS256/RS256
  algorithm_not_allowed,  // known algorithm, but not allowed or no key for it
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  missing_claim,  // "exp" when required, "iss"/"aud" when configured
  no_key,         // the verifier has no key at all
};
std::string_view to_string(JwtError);

// RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output (256 bits).
// The verifier itself accepts any non-empty secret (tests and the fuzzer use short ones); the
// roles refuse to start with a shorter JWT_SECRET.
inline constexpr std::size_t kMinHs256SecretBytes = 32;

struct JwtConfig {
  std::string hs256_secret;          // enables HS256 when non-empty
  std::string rs256_public_key_pem;  // enables RS256 when non-empty (PEM text, not a path)
  std::vector<std::string> allowed_algorithms;  // empty = every algorithm that has a key; "none" is
                                                // never accepted
  std::optional<std::string> issuer;            // checked against "iss" when set
  std::optional<std::string> audience;          // "aud" may be a string or an array
  std::chrono::seconds leeway{30};              // clock skew for exp/nbf
  bool require_exp = true;
  std::string rooms_claim = "rooms";   // claim naming rooms the socket may join (array of strings)
  std::size_t max_token_bytes = 8192;  // longer tokens are malformed, before any decoding
};

struct Claims {
  std::string subject;  // "sub" or empty
  std::optional<std::vector<std::string>>
      rooms;  // from rooms_claim; nullopt = no restriction stated
  // From "scope": a space-separated string (RFC 8693 section 4.2) or an array of strings; empty
  // when the claim is absent.
  std::vector<std::string> scopes;
  boost::json::object payload;  // every claim

  bool has_scope(std::string_view scope) const;
};

class JwtVerifier {
 public:
  // Parses the PEM once. Throws std::invalid_argument on a bad or non-RSA PEM, an RSA key under
  // 2048 bits, or an unknown name in allowed_algorithms: these are startup errors.
  explicit JwtVerifier(JwtConfig config);

  // Thread-safe: all state is read-only after construction, and copies share it.
  std::variant<Claims, JwtError> verify(
      std::string_view token,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;
  bool enabled() const;  // false when no key configured

 private:
  struct Keys;
  JwtConfig config_;
  std::shared_ptr<const Keys> keys_;
};

// Minting, for `pulseboard token` and tests. Header is {"alg":...,"typ":"JWT"}.
std::string mint_hs256(std::string_view secret, const boost::json::object& claims);
// Throws std::invalid_argument when the PEM is not an RSA private key.
std::string mint_rs256(std::string_view private_key_pem, const boost::json::object& claims);
// base64url HMAC-SHA256 of "header.payload" text as given: lets tests and the fuzzer sign
// payloads that mint_hs256 cannot produce (invalid JSON, odd headers).
std::string hs256_signature(std::string_view secret, std::string_view signing_input);

// Convenience for the CLI: claims {sub, rooms, iat, exp (now+lifetime), iss?, aud?, scope?};
// "scope" is the scopes joined by spaces, left out when there are none.
boost::json::object dev_claims(std::string_view subject, const std::vector<std::string>& rooms,
                               std::chrono::seconds lifetime,
                               std::optional<std::string> issuer = {},
                               std::optional<std::string> audience = {},
                               const std::vector<std::string>& scopes = {});

}  // namespace pulseboard::auth
