#pragma once
// HMAC-SHA256 and RSASSA-PKCS1-v1_5 SHA-256 through OpenSSL's EVP APIs, with keys parsed and
// algorithms fetched once so that each signature check only allocates the per-call EVP context.
#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard::auth::crypto {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdFree {
  void operator()(EVP_MD* p) const { EVP_MD_free(p); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Md = std::unique_ptr<EVP_MD, MdFree>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

inline constexpr std::size_t kHs256Bytes = 32;

// A keyed HMAC-SHA256. The constructor keys a prototype context; each call duplicates it, so
// concurrent calls share nothing mutable.
class HmacSha256 {
 public:
  explicit HmacSha256(std::string_view key);  // throws std::runtime_error if OpenSSL fails
  std::optional<std::string> sign(std::string_view data) const;  // 32 raw bytes
  // Constant-time comparison (CRYPTO_memcmp); false on any length other than 32.
  bool verify(std::string_view data, std::string_view mac) const;

 private:
  MacCtx keyed_;
};

// An RSA public key checking RS256 signatures.
class RsaSha256Verifier {
 public:
  // Throws std::invalid_argument unless the PEM holds an RSA public key of at least 2048 bits.
  explicit RsaSha256Verifier(std::string_view public_key_pem);
  bool verify(std::string_view data, std::string_view signature) const;

 private:
  Pkey key_;
  Md sha256_;
  std::size_t signature_bytes_;
};

// Throws std::invalid_argument unless the PEM holds an RSA private key.
std::string rsa_sha256_sign(std::string_view private_key_pem, std::string_view data);

}  // namespace pulseboard::auth::crypto
