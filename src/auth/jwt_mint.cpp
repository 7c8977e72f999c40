#include "auth/crypto.hpp"
#include "auth/jws_compact.hpp"
#include "auth/jwt.hpp"
#include "common/base64.hpp"

#include <stdexcept>

namespace pulseboard::auth {
namespace {

std::string compact(std::string_view alg, const boost::json::object& claims,
                    auto&& sign /* signing input -> raw signature bytes */) {
  const boost::json::object header{{"alg", alg}, {"typ", "JWT"}};
  std::string token = signing_input(boost::json::serialize(header), boost::json::serialize(claims));
  const std::string signature = sign(token);
  token += '.';
  token += base64url_encode(signature);
  return token;
}

}  // namespace

std::string hs256_signature(std::string_view secret, std::string_view input) {
  auto mac = crypto::HmacSha256(secret).sign(input);
  if (!mac) throw std::runtime_error("HMAC-SHA256 failed");
  return base64url_encode(*mac);
}

std::string mint_hs256(std::string_view secret, const boost::json::object& claims) {
  const crypto::HmacSha256 hmac(secret);
  return compact("HS256", claims, [&](std::string_view input) {
    auto mac = hmac.sign(input);
    if (!mac) throw std::runtime_error("HMAC-SHA256 failed");
    return *mac;
  });
}

std::string mint_rs256(std::string_view private_key_pem, const boost::json::object& claims) {
  return compact("RS256", claims, [&](std::string_view input) {
    return crypto::rsa_sha256_sign(private_key_pem, input);
  });
}

boost::json::object dev_claims(std::string_view subject, const std::vector<std::string>& rooms,
                               std::chrono::seconds lifetime, std::optional<std::string> issuer,
                               std::optional<std::string> audience,
                               const std::vector<std::string>& scopes) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  boost::json::array room_list;
  for (const auto& room : rooms) room_list.emplace_back(room);
  boost::json::object claims{
      {"sub", subject},
      {"rooms", std::move(room_list)},
      {"iat", now},
      {"exp", now + lifetime.count()},
  };
  if (issuer) claims["iss"] = *issuer;
  if (audience) claims["aud"] = *audience;
  std::string scope;
  for (const auto& s : scopes) {
    if (s.empty()) continue;
    if (!scope.empty()) scope += ' ';
    scope += s;
  }
  if (!scope.empty()) claims["scope"] = std::move(scope);
  return claims;
}

}  // namespace pulseboard::auth
