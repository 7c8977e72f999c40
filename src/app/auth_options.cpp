#include "app/auth_options.hpp"

#include <sstream>
#include <stdexcept>

#include "app/env.hpp"
#include "auth/key_file.hpp"

namespace pulseboard::app {

void fill_from_env(AuthOptions& o) {
  if (o.secret.empty()) o.secret = env_or("JWT_SECRET", "");
  if (o.public_key_file.empty()) o.public_key_file = env_or("JWT_PUBLIC_KEY_FILE", "");
  if (o.issuer.empty()) o.issuer = env_or("JWT_ISSUER", "");
  if (o.audience.empty()) o.audience = env_or("JWT_AUDIENCE", "");
  if (o.algorithms.empty()) o.algorithms = env_or("JWT_ALGORITHMS", "");
}

std::optional<std::string> hs256_secret_problem(std::string_view secret, std::string_view setting) {
  if (secret.size() >= auth::kMinHs256SecretBytes) return std::nullopt;
  return std::string(setting) + " is " + std::to_string(secret.size()) +
         " bytes long; an HS256 secret needs " + std::to_string(auth::kMinHs256SecretBytes) +
         " bytes or more (RFC 7518 section 3.2): generate one with `openssl rand -base64 32`";
}

std::shared_ptr<const auth::JwtVerifier> make_verifier(const AuthOptions& o) {
  if (o.secret.empty() && o.public_key_file.empty()) {
    if (o.allow_anonymous) return nullptr;
    throw std::runtime_error(
        "no token key configured: set JWT_SECRET (HS256) or JWT_PUBLIC_KEY_FILE (RS256), "
        "or pass --allow-anonymous for local experiments");
  }
  if (!o.secret.empty())
    if (auto problem = hs256_secret_problem(o.secret)) throw std::runtime_error(*problem);
  auth::JwtConfig c;
  c.hs256_secret = o.secret;
  if (!o.public_key_file.empty()) {
    auto pem = auth::read_key_file(o.public_key_file);
    if (!pem) throw std::runtime_error("cannot read JWT_PUBLIC_KEY_FILE " + o.public_key_file);
    c.rs256_public_key_pem = *pem;
  }
  if (!o.issuer.empty()) c.issuer = o.issuer;
  if (!o.audience.empty()) c.audience = o.audience;
  std::stringstream ss(o.algorithms);
  for (std::string alg; std::getline(ss, alg, ',');)
    if (!alg.empty()) c.allowed_algorithms.push_back(alg);
  return std::make_shared<const auth::JwtVerifier>(std::move(c));
}

}  // namespace pulseboard::app
