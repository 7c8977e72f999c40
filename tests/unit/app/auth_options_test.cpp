// The roles' token settings: an HS256 JWT_SECRET shorter than 32 bytes (RFC 7518 section 3.2)
// stops the gateway, the API and the demo at start-up with a message naming the variable.
#include "app/auth_options.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace pulseboard::app {
namespace {

std::string refusal(const AuthOptions& options) {
  try {
    make_verifier(options);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(AuthOptions, SecretShorterThan32BytesIsRefusedNamingJwtSecret) {
  AuthOptions o;
  o.secret = std::string(31, 's');
  const auto message = refusal(o);
  EXPECT_NE(message.find("JWT_SECRET"), std::string::npos) << message;
  EXPECT_NE(message.find("31 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("32"), std::string::npos) << message;
  EXPECT_NE(message.find("RFC 7518"), std::string::npos) << message;

  o.secret = "change-me";  // the kind of value a README example invites
  EXPECT_NE(refusal(o).find("JWT_SECRET"), std::string::npos);
}

TEST(AuthOptions, SecretOf32BytesOrMoreIsAccepted) {
  AuthOptions o;
  o.secret = std::string(32, 's');
  auto verifier = make_verifier(o);
  ASSERT_NE(verifier, nullptr);
  EXPECT_TRUE(verifier->enabled());
  o.secret = std::string(64, 's');
  EXPECT_NE(make_verifier(o), nullptr);
}

TEST(AuthOptions, ShortSecretIsRefusedEvenBesideAPublicKey) {
  // The secret would still enable HS256 next to RS256: the key file does not excuse it.
  AuthOptions o;
  o.secret = "short";
  o.public_key_file = std::string(PULSEBOARD_TEST_DATA) + "/jwt/rs256_public.pem";
  EXPECT_NE(refusal(o).find("JWT_SECRET"), std::string::npos);
  o.secret.clear();
  EXPECT_NE(make_verifier(o), nullptr);  // the key file on its own is fine
}

TEST(AuthOptions, SecretProblemCountsBytesAndNamesTheSetting) {
  EXPECT_EQ(hs256_secret_problem(std::string(32, 'x')), std::nullopt);
  // Four 2-byte characters are 8 bytes, not 4 characters.
  const auto problem =
      hs256_secret_problem("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "JWT_SECRET (--secret)");
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->rfind("JWT_SECRET (--secret) is 8 bytes long", 0), 0u) << *problem;
}

TEST(AuthOptions, NoKeyStillNeedsAllowAnonymous) {
  AuthOptions o;
  EXPECT_NE(refusal(o).find("no token key configured"), std::string::npos);
  o.allow_anonymous = true;
  EXPECT_EQ(make_verifier(o), nullptr);
}

}  // namespace
}  // namespace pulseboard::app
