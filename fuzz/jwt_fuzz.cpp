// libFuzzer target for JWT verification: whatever arrives in a Socket.IO CONNECT auth payload
// or an Authorization header must be refused or accepted, never crash.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"

namespace {

constexpr std::string_view kSecret = "fuzz-secret";

const pulseboard::auth::JwtVerifier& verifier() {
  static const pulseboard::auth::JwtVerifier v([] {
    pulseboard::auth::JwtConfig c;
    c.hs256_secret = std::string(kSecret);
    c.issuer = "pulseboard";
    c.audience = "dashboards";
    return c;
  }());
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A fixed clock keeps runs reproducible; the seeds' exp/nbf are placed around it.
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1'700'000'000)};
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)verifier().verify(input, now);

  // Mutated input almost never carries a valid HMAC, which would leave the claim checks
  // unexplored; so also re-sign the input's first two segments and verify that.
  const auto last_dot = input.rfind('.');
  if (last_dot != std::string_view::npos) {
    const std::string_view signing_input = input.substr(0, last_dot);
    const std::string resigned = std::string(signing_input) + "." +
                                 pulseboard::auth::hs256_signature(kSecret, signing_input);
    (void)verifier().verify(resigned, now);
  }
  return 0;
}
