#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <thread>

#include "auth/key_file.hpp"
#include "common/base64.hpp"

namespace pulseboard::auth {
namespace {

namespace json = boost::json;
using std::chrono::seconds;
using Clock = std::chrono::system_clock;

constexpr std::int64_t kNow = 1'700'000'000;
const Clock::time_point now_tp{seconds(kNow)};
constexpr std::string_view kSecret = "a-test-secret-of-thirty-two-bytes!";

std::string fixture(const std::string& name) {
  auto text = read_key_file(std::string(PULSEBOARD_TEST_DATA) + "/jwt/" + name);
  if (!text) throw std::runtime_error("missing fixture " + name);
  return *text;
}

// Signs arbitrary header/payload text with OpenSSL's one-shot HMAC(), independently of the code
// under test, so tests can build tokens that mint_hs256 refuses to produce.
std::string raw_hs256(std::string_view header, std::string_view payload,
                      std::string_view secret = kSecret) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url_encode({reinterpret_cast<const char*>(mac), len});
}

json::object claims_at(std::int64_t exp_offset = 3600) {
  return {{"sub", "alice"}, {"exp", kNow + exp_offset}};
}

JwtConfig hs_config() {
  JwtConfig c;
  c.hs256_secret = std::string(kSecret);
  return c;
}

JwtConfig rs_config() {
  JwtConfig c;
  c.rs256_public_key_pem = fixture("rs256_public.pem");
  return c;
}

JwtError error_of(const std::variant<Claims, JwtError>& r) {
  return std::holds_alternative<JwtError>(r) ? std::get<JwtError>(r) : JwtError::none;
}

Claims claims_of(std::variant<Claims, JwtError> r) {
  if (!std::holds_alternative<Claims>(r)) {
    throw std::runtime_error("refused: " + std::string(to_string(std::get<JwtError>(r))));
  }
  return std::get<Claims>(std::move(r));
}

// ---- Good tokens -------------------------------------------------------------------------

TEST(JwtVerify, AcceptsGoodHs256Token) {
  JwtVerifier v(hs_config());
  auto c = claims_at();
  c["role"] = "viewer";
  const auto& claims = claims_of(v.verify(mint_hs256(kSecret, c), now_tp));
  EXPECT_EQ(claims.subject, "alice");
  EXPECT_FALSE(claims.rooms.has_value());
  EXPECT_EQ(claims.payload.at("role"), "viewer");
}

TEST(JwtVerify, MintedHs256MatchesAnIndependentHmac) {
  const json::object c = claims_at();
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  EXPECT_EQ(mint_hs256(kSecret, c), raw_hs256(header, json::serialize(c)));
}

TEST(JwtVerify, AcceptsGoodRs256Token) {
  JwtVerifier v(rs_config());
  const auto token = mint_rs256(fixture("rs256_private.pem"), claims_at());
  EXPECT_EQ(claims_of(v.verify(token, now_tp)).subject, "alice");
}

TEST(JwtVerify, AcceptsPkcs1PublicKeyPem) {
  JwtConfig c;
  c.rs256_public_key_pem = fixture("rs256_public_pkcs1.pem");
  JwtVerifier v(c);
  const auto token = mint_rs256(fixture("rs256_private.pem"), claims_at());
  EXPECT_EQ(claims_of(v.verify(token, now_tp)).subject, "alice");
}

TEST(JwtVerify, BothAlgorithmsWorkSideBySide) {
  JwtConfig c = rs_config();
  c.hs256_secret = std::string(kSecret);
  JwtVerifier v(c);
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims_at()), now_tp)), JwtError::none);
  EXPECT_EQ(error_of(v.verify(mint_rs256(fixture("rs256_private.pem"), claims_at()), now_tp)),
            JwtError::none);
}

TEST(JwtVerify, MintVerifyRoundTripWithDevClaims) {
  JwtConfig c = hs_config();
  c.issuer = "pulseboard";
  c.audience = "dashboards";
  JwtVerifier v(c);
  const auto token = mint_hs256(kSecret, dev_claims("bob", {"live-metrics", "orders"}, seconds(600),
                                                    "pulseboard", "dashboards"));
  const auto& claims = claims_of(v.verify(token));  // real clock: dev_claims uses it too
  EXPECT_EQ(claims.subject, "bob");
  ASSERT_TRUE(claims.rooms.has_value());
  EXPECT_EQ(*claims.rooms, (std::vector<std::string>{"live-metrics", "orders"}));
  EXPECT_EQ(claims.payload.at("exp").as_int64() - claims.payload.at("iat").as_int64(), 600);
  // ...and the same claims are expired once the lifetime (plus leeway) has passed.
  EXPECT_EQ(error_of(v.verify(token, Clock::now() + seconds(600 + 31))), JwtError::expired);
}

// ---- Time ---------------------------------------------------------------------------------

TEST(JwtVerify, RefusesExpiredToken) {
  JwtVerifier v(hs_config());
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims_at(-31)), now_tp)), JwtError::expired);
}

TEST(JwtVerify, HonoursLeewayForExpiry) {
  JwtVerifier v(hs_config());  // default leeway 30 s
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims_at(-29)), now_tp)), JwtError::none);
  JwtConfig strict = hs_config();
  strict.leeway = seconds(0);
  JwtVerifier s(strict);
  EXPECT_EQ(error_of(s.verify(mint_hs256(kSecret, claims_at(0)), now_tp)), JwtError::expired);
  EXPECT_EQ(error_of(s.verify(mint_hs256(kSecret, claims_at(1)), now_tp)), JwtError::none);
}

TEST(JwtVerify, RefusesTokenNotYetValidBeyondLeeway) {
  JwtVerifier v(hs_config());
  auto early = claims_at();
  early["nbf"] = kNow + 31;
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, early), now_tp)), JwtError::not_yet_valid);
  early["nbf"] = kNow + 29;
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, early), now_tp)), JwtError::none);
}

TEST(JwtVerify, AcceptsFractionalNumericDates) {
  JwtVerifier v(hs_config());
  json::object c{{"exp", double(kNow) + 0.5}};
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, c), now_tp)), JwtError::none);
}

TEST(JwtVerify, ExpIsRequiredUnlessConfiguredOtherwise) {
  const json::object no_exp{{"sub", "alice"}};
  EXPECT_EQ(error_of(JwtVerifier(hs_config()).verify(mint_hs256(kSecret, no_exp), now_tp)),
            JwtError::missing_claim);
  JwtConfig lax = hs_config();
  lax.require_exp = false;
  EXPECT_EQ(error_of(JwtVerifier(lax).verify(mint_hs256(kSecret, no_exp), now_tp)), JwtError::none);
}

TEST(JwtVerify, RefusesNonNumericTimes) {
  JwtVerifier v(hs_config());
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, {{"exp", "2030-01-01"}}), now_tp)),
            JwtError::bad_json);
  auto c = claims_at();
  c["nbf"] = true;
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, c), now_tp)), JwtError::bad_json);
}

// ---- Issuer and audience -----------------------------------------------------------------

TEST(JwtVerify, ChecksIssuerWhenConfigured) {
  JwtConfig c = hs_config();
  c.issuer = "https://auth.example";
  JwtVerifier v(c);
  auto claims = claims_at();
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims), now_tp)), JwtError::missing_claim);
  claims["iss"] = "https://evil.example";
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims), now_tp)), JwtError::wrong_issuer);
  claims["iss"] = "https://auth.example";
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims), now_tp)), JwtError::none);
  // Without a configured issuer any "iss" passes.
  claims["iss"] = "https://evil.example";
  EXPECT_EQ(error_of(JwtVerifier(hs_config()).verify(mint_hs256(kSecret, claims), now_tp)),
            JwtError::none);
}

TEST(JwtVerify, ChecksAudienceAsString) {
  JwtConfig c = hs_config();
  c.audience = "dashboards";
  JwtVerifier v(c);
  auto claims = claims_at();
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims), now_tp)), JwtError::missing_claim);
  claims["aud"] = "billing";
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims), now_tp)), JwtError::wrong_audience);
  claims["aud"] = "dashboards";
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims), now_tp)), JwtError::none);
}

TEST(JwtVerify, ChecksAudienceAsArray) {
  JwtConfig c = hs_config();
  c.audience = "dashboards";
  JwtVerifier v(c);
  auto claims = claims_at();
  claims["aud"] = json::array{"billing", "reports"};
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims), now_tp)), JwtError::wrong_audience);
  claims["aud"] = json::array{"billing", "dashboards"};
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims), now_tp)), JwtError::none);
  claims["aud"] = json::array{"dashboards", 7};
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims), now_tp)), JwtError::bad_json);
}

// ---- Keys and algorithms -----------------------------------------------------------------

TEST(JwtVerify, RefusesHs256SignedWithAnotherSecret) {
  JwtVerifier v(hs_config());
  EXPECT_EQ(error_of(v.verify(mint_hs256("another-secret", claims_at()), now_tp)),
            JwtError::bad_signature);
}

TEST(JwtVerify, RefusesRs256SignedWithAnotherKey) {
  JwtVerifier v(rs_config());
  const auto token = mint_rs256(fixture("other_private.pem"), claims_at());
  EXPECT_EQ(error_of(v.verify(token, now_tp)), JwtError::bad_signature);
}

TEST(JwtVerify, RefusesTamperedPayload) {
  JwtVerifier v(hs_config());
  const auto token = mint_hs256(kSecret, claims_at());
  const auto first = token.find('.');
  const auto last = token.rfind('.');
  auto escalated = claims_at();
  escalated["sub"] = "root";
  const std::string forged = token.substr(0, first + 1) +
                             base64url_encode(json::serialize(escalated)) + token.substr(last);
  EXPECT_EQ(error_of(v.verify(forged, now_tp)), JwtError::bad_signature);
}

TEST(JwtVerify, RefusesAlgNoneWithAndWithoutSignature) {
  JwtVerifier v(hs_config());
  const std::string payload = base64url_encode(json::serialize(claims_at()));
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string header =
        base64url_encode(std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})");
    EXPECT_EQ(error_of(v.verify(header + "." + payload + ".", now_tp)),
              JwtError::unsupported_algorithm)
        << alg;
    const auto signed_none =
        raw_hs256(std::string(R"({"alg":")") + alg + R"("})", json::serialize(claims_at()));
    EXPECT_EQ(error_of(v.verify(signed_none, now_tp)), JwtError::unsupported_algorithm) << alg;
  }
}

TEST(JwtVerify, RefusesUnknownAlgorithms) {
  JwtVerifier v(hs_config());
  for (const char* alg : {"HS512", "hs256", "ES256", "PS256", ""}) {
    const auto token =
        raw_hs256(std::string(R"({"alg":")") + alg + R"("})", json::serialize(claims_at()));
    EXPECT_EQ(error_of(v.verify(token, now_tp)), JwtError::unsupported_algorithm) << alg;
  }
}

// The classic key confusion: an attacker who knows the RSA public key signs an HS256 token with
// the PEM text as the HMAC secret, hoping the verifier feeds "its key" to HMAC.
TEST(JwtVerify, RefusesHs256SignedWithThePublicKeyPem) {
  const std::string pem = fixture("rs256_public.pem");
  JwtVerifier v(rs_config());
  EXPECT_EQ(error_of(v.verify(mint_hs256(pem, claims_at()), now_tp)),
            JwtError::algorithm_not_allowed);
}

TEST(JwtVerify, RefusesAlgorithmOutsideAllowList) {
  JwtConfig c = rs_config();
  c.hs256_secret = std::string(kSecret);
  c.allowed_algorithms = {"RS256"};
  JwtVerifier v(c);
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims_at()), now_tp)),
            JwtError::algorithm_not_allowed);
  EXPECT_EQ(error_of(v.verify(mint_rs256(fixture("rs256_private.pem"), claims_at()), now_tp)),
            JwtError::none);
}

TEST(JwtVerify, RefusesRs256WhenOnlyHs256HasAKey) {
  JwtVerifier v(hs_config());
  const auto token = mint_rs256(fixture("rs256_private.pem"), claims_at());
  EXPECT_EQ(error_of(v.verify(token, now_tp)), JwtError::algorithm_not_allowed);
}

TEST(JwtVerify, VerifierWithoutKeysIsDisabled) {
  JwtVerifier v(JwtConfig{});
  EXPECT_FALSE(v.enabled());
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, claims_at()), now_tp)), JwtError::no_key);
  EXPECT_TRUE(JwtVerifier(hs_config()).enabled());
  EXPECT_TRUE(JwtVerifier(rs_config()).enabled());
}

TEST(JwtVerifierConfig, RefusesBadKeysAndAlgorithmNamesAtStartup) {
  JwtConfig c;
  c.rs256_public_key_pem = "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n";
  EXPECT_THROW(JwtVerifier{c}, std::invalid_argument);
  c.rs256_public_key_pem = fixture("ec_p256_public.pem");
  EXPECT_THROW(JwtVerifier{c}, std::invalid_argument);
  c.rs256_public_key_pem = fixture("rsa1024_public.pem");
  EXPECT_THROW(JwtVerifier{c}, std::invalid_argument);
  c.rs256_public_key_pem = fixture("rs256_private.pem");  // a private key is not a public PEM
  EXPECT_THROW(JwtVerifier{c}, std::invalid_argument);

  JwtConfig names = hs_config();
  names.allowed_algorithms = {"HS256", "none"};
  EXPECT_THROW(JwtVerifier{names}, std::invalid_argument);
  names.allowed_algorithms = {"HS384"};
  EXPECT_THROW(JwtVerifier{names}, std::invalid_argument);
}

TEST(JwtMint, Rs256RefusesNonRsaOrPublicKeys) {
  EXPECT_THROW(mint_rs256("garbage", claims_at()), std::invalid_argument);
  EXPECT_THROW(mint_rs256(fixture("rs256_public.pem"), claims_at()), std::invalid_argument);
}

// ---- Structure ----------------------------------------------------------------------------

TEST(JwtVerify, RefusesTruncatedToken) {
  JwtVerifier v(hs_config());
  const auto token = mint_hs256(kSecret, claims_at());
  EXPECT_EQ(error_of(v.verify(token.substr(0, token.rfind('.')), now_tp)), JwtError::malformed);
  // 43 characters of HS256 signature cut to 40 decode cleanly to 30 bytes: wrong length.
  EXPECT_EQ(error_of(v.verify(token.substr(0, token.size() - 3), now_tp)), JwtError::bad_signature);
  EXPECT_EQ(error_of(v.verify("", now_tp)), JwtError::malformed);
  EXPECT_EQ(error_of(v.verify("..", now_tp)), JwtError::bad_json);
}

TEST(JwtVerify, RefusesExtraSegments) {
  JwtVerifier v(hs_config());
  const auto token = mint_hs256(kSecret, claims_at());
  EXPECT_EQ(error_of(v.verify(token + ".e30", now_tp)), JwtError::malformed);
  EXPECT_EQ(error_of(v.verify(token + ".", now_tp)), JwtError::malformed);
}

TEST(JwtVerify, RefusesBadBase64url) {
  JwtVerifier v(hs_config());
  const auto token = mint_hs256(kSecret, claims_at());
  std::string star = token;
  star[token.find('.') + 2] = '*';
  EXPECT_EQ(error_of(v.verify(star, now_tp)), JwtError::malformed);
  std::string plus = token;  // standard base64, not base64url
  plus[token.find('.') + 2] = '+';
  EXPECT_EQ(error_of(v.verify(plus, now_tp)), JwtError::malformed);
  EXPECT_EQ(error_of(v.verify(token + "=", now_tp)), JwtError::malformed);
}

// Without the canonical-encoding check, flipping the unused low bits of the signature's last
// character would give a second token string that verifies.
TEST(JwtVerify, RefusesNonCanonicalSignatureSpelling) {
  JwtVerifier v(hs_config());
  const auto token = mint_hs256(kSecret, claims_at());
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string twin = token;
  twin.back() = alphabet[alphabet.find(token.back()) ^ 1];
  ASSERT_EQ(base64url_decode(twin.substr(twin.rfind('.') + 1)),
            base64url_decode(token.substr(token.rfind('.') + 1)));
  EXPECT_EQ(error_of(v.verify(twin, now_tp)), JwtError::malformed);
}

TEST(JwtVerify, RefusesOversizedToken) {
  JwtConfig c = hs_config();
  c.max_token_bytes = 64;
  EXPECT_EQ(error_of(JwtVerifier(c).verify(mint_hs256(kSecret, claims_at()), now_tp)),
            JwtError::malformed);
}

TEST(JwtVerify, RefusesBadJson) {
  JwtVerifier v(hs_config());
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  EXPECT_EQ(error_of(v.verify(raw_hs256(header, R"({"sub":"alice",)"), now_tp)),
            JwtError::bad_json);
  EXPECT_EQ(error_of(v.verify(raw_hs256(header, R"(["not","an","object"])"), now_tp)),
            JwtError::bad_json);
  EXPECT_EQ(
      error_of(v.verify(raw_hs256(R"({"alg":"HS256")", json::serialize(claims_at())), now_tp)),
      JwtError::bad_json);
  auto bad_sub = claims_at();
  bad_sub["sub"] = 42;
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, bad_sub), now_tp)), JwtError::bad_json);
}

TEST(JwtVerify, ChecksHeaderTypAlgAndCrit) {
  JwtVerifier v(hs_config());
  const std::string payload = json::serialize(claims_at());
  EXPECT_EQ(error_of(v.verify(raw_hs256(R"({"alg":"HS256","typ":"jwt"})", payload), now_tp)),
            JwtError::none);
  EXPECT_EQ(error_of(v.verify(raw_hs256(R"({"alg":"HS256","typ":"JOSE"})", payload), now_tp)),
            JwtError::malformed);
  EXPECT_EQ(error_of(v.verify(raw_hs256(R"({"alg":"HS256","typ":1})", payload), now_tp)),
            JwtError::malformed);
  EXPECT_EQ(error_of(v.verify(raw_hs256(R"({"typ":"JWT"})", payload), now_tp)),
            JwtError::malformed);
  EXPECT_EQ(error_of(v.verify(raw_hs256(R"({"alg":["HS256"]})", payload), now_tp)),
            JwtError::malformed);
  EXPECT_EQ(error_of(v.verify(raw_hs256(R"({"alg":"HS256","crit":["exp"]})", payload), now_tp)),
            JwtError::malformed);
}

// ---- Rooms --------------------------------------------------------------------------------

TEST(JwtVerify, ParsesRoomsClaim) {
  JwtVerifier v(hs_config());
  auto c = claims_at();
  c["rooms"] = json::array{"live-metrics", "orders:eu"};
  const auto& claims = claims_of(v.verify(mint_hs256(kSecret, c), now_tp));
  ASSERT_TRUE(claims.rooms.has_value());
  EXPECT_EQ(*claims.rooms, (std::vector<std::string>{"live-metrics", "orders:eu"}));

  c["rooms"] = json::array{};
  const auto& none = claims_of(v.verify(mint_hs256(kSecret, c), now_tp));
  ASSERT_TRUE(none.rooms.has_value());
  EXPECT_TRUE(none.rooms->empty());  // an empty list is "no rooms", not "no restriction"
}

TEST(JwtVerify, RoomsClaimNameIsConfigurable) {
  JwtConfig cfg = hs_config();
  cfg.rooms_claim = "pb_rooms";
  JwtVerifier v(cfg);
  auto c = claims_at();
  c["rooms"] = json::array{"ignored"};
  c["pb_rooms"] = json::array{"live-metrics"};
  const auto& claims = claims_of(v.verify(mint_hs256(kSecret, c), now_tp));
  ASSERT_TRUE(claims.rooms.has_value());
  EXPECT_EQ(*claims.rooms, std::vector<std::string>{"live-metrics"});
}

TEST(JwtVerify, RefusesRoomsClaimOfWrongShape) {
  JwtVerifier v(hs_config());
  auto c = claims_at();
  c["rooms"] = "live-metrics";
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, c), now_tp)), JwtError::bad_json);
  c["rooms"] = json::array{"live-metrics", 3};
  EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, c), now_tp)), JwtError::bad_json);
}

// ---- Scope ---------------------------------------------------------------------------------

TEST(JwtVerify, ScopeClaimIsASpaceSeparatedString) {
  JwtVerifier v(hs_config());
  auto c = claims_at();
  c["scope"] = "orders:read  orders:write";  // RFC 8693 section 4.2; a doubled space is no scope
  const auto& claims = claims_of(v.verify(mint_hs256(kSecret, c), now_tp));
  EXPECT_EQ(claims.scopes, (std::vector<std::string>{"orders:read", "orders:write"}));
  EXPECT_TRUE(claims.has_scope("orders:write"));
  EXPECT_TRUE(claims.has_scope("orders:read"));
  EXPECT_FALSE(claims.has_scope("orders"));  // whole scope tokens only, never a prefix
  EXPECT_FALSE(claims.has_scope(""));

  c["scope"] = "orders:write:all";
  EXPECT_FALSE(claims_of(v.verify(mint_hs256(kSecret, c), now_tp)).has_scope("orders:write"));
  c["scope"] = "";
  EXPECT_TRUE(claims_of(v.verify(mint_hs256(kSecret, c), now_tp)).scopes.empty());
}

TEST(JwtVerify, ScopeClaimMayBeAnArrayOfStrings) {
  JwtVerifier v(hs_config());
  auto c = claims_at();
  c["scope"] = json::array{"orders:write", "metrics:read"};
  const auto& claims = claims_of(v.verify(mint_hs256(kSecret, c), now_tp));
  EXPECT_EQ(claims.scopes, (std::vector<std::string>{"orders:write", "metrics:read"}));
  EXPECT_TRUE(claims.has_scope("orders:write"));
  // One element is one scope: it is not split on spaces.
  c["scope"] = json::array{"metrics:read orders:write"};
  EXPECT_FALSE(claims_of(v.verify(mint_hs256(kSecret, c), now_tp)).has_scope("orders:write"));
}

TEST(JwtVerify, NoScopeClaimMeansNoScopes) {
  const auto& claims =
      claims_of(JwtVerifier(hs_config()).verify(mint_hs256(kSecret, claims_at()), now_tp));
  EXPECT_TRUE(claims.scopes.empty());
  EXPECT_FALSE(claims.has_scope("orders:write"));
}

TEST(JwtVerify, RefusesScopeClaimOfWrongShape) {
  JwtVerifier v(hs_config());
  auto c = claims_at();
  for (json::value bad : {json::value(1), json::value(true), json::value(nullptr),
                          json::value(json::object{{"orders:write", true}}),
                          json::value(json::array{"orders:write", 3})}) {
    c["scope"] = bad;
    EXPECT_EQ(error_of(v.verify(mint_hs256(kSecret, c), now_tp)), JwtError::bad_json)
        << json::serialize(bad);
  }
}

TEST(JwtVerify, DevClaimsJoinScopesWithSpaces) {
  auto c = dev_claims("carol", {"live-metrics"}, seconds(600), {}, {}, {"orders:write", "x:y"});
  EXPECT_EQ(c.at("scope").as_string(), "orders:write x:y");
  const auto& claims = claims_of(JwtVerifier(hs_config()).verify(mint_hs256(kSecret, c)));
  EXPECT_EQ(claims.scopes, (std::vector<std::string>{"orders:write", "x:y"}));
  // No scopes: no claim at all (a viewer token).
  EXPECT_FALSE(dev_claims("carol", {"live-metrics"}, seconds(600)).contains("scope"));
}

// ---- Concurrency and odds and ends ---------------------------------------------------------

TEST(JwtVerify, IsSafeToShareAcrossThreads) {
  JwtConfig c = rs_config();
  c.hs256_secret = std::string(kSecret);
  const JwtVerifier v(c);
  const auto hs = mint_hs256(kSecret, claims_at());
  const auto rs = mint_rs256(fixture("rs256_private.pem"), claims_at());
  const auto wrong = mint_hs256("wrong", claims_at());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (error_of(v.verify(hs, now_tp)) != JwtError::none) ++failures;
        if (error_of(v.verify(rs, now_tp)) != JwtError::none) ++failures;
        if (error_of(v.verify(wrong, now_tp)) != JwtError::bad_signature) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(JwtError, HasStableNames) {
  EXPECT_EQ(to_string(JwtError::algorithm_not_allowed), "algorithm_not_allowed");
  EXPECT_EQ(to_string(JwtError::expired), "expired");
  EXPECT_EQ(to_string(JwtError::no_key), "no_key");
}

TEST(KeyFile, ReadsPemAndReportsUnreadablePaths) {
  const auto pem = read_key_file(std::string(PULSEBOARD_TEST_DATA) + "/jwt/rs256_public.pem");
  ASSERT_TRUE(pem.has_value());
  EXPECT_EQ(pem->rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  EXPECT_FALSE(read_key_file("/nonexistent/jwt.pem").has_value());
  EXPECT_FALSE(read_key_file(std::string(PULSEBOARD_TEST_DATA) + "/jwt").has_value());
}

}  // namespace
}  // namespace pulseboard::auth
