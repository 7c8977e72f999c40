#pragma once
// Token verification settings shared by the gateway and the API: JWT_SECRET (HS256),
// JWT_PUBLIC_KEY_FILE (RS256), JWT_ISSUER, JWT_AUDIENCE, JWT_ALGORITHMS (comma list).
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"

namespace pulseboard::app {

struct AuthOptions {
  std::string secret;
  std::string public_key_file;
  std::string issuer;
  std::string audience;
  std::string algorithms;  // "HS256,RS256"; empty = every algorithm that has a key
  bool allow_anonymous = false;
};

// Reads unset fields from the environment.
void fill_from_env(AuthOptions& options);
// Why an HS256 secret may not be used (it is shorter than auth::kMinHs256SecretBytes, RFC 7518
// section 3.2), naming the setting it came from; nullopt when it may.
std::optional<std::string> hs256_secret_problem(
    std::string_view secret, std::string_view setting = "JWT_SECRET (--jwt-secret)");
// Null when anonymous access was asked for; throws std::runtime_error with a clear message when
// no key is configured and anonymous access was not asked for, the secret is too short
// (hs256_secret_problem), or the key file is unreadable.
std::shared_ptr<const auth::JwtVerifier> make_verifier(const AuthOptions& options);

}  // namespace pulseboard::app
