#include "auth/crypto.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <limits>
#include <stdexcept>

namespace pulseboard::auth::crypto {
namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct MacFree {
  void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
};

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// OpenSSL's error queue is per thread and shared with TLS on the same thread, where a stale
// entry would be misread by SSL_get_error; every failure path here drains it.
std::string take_openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

struct DecoderCtxFree {
  void operator()(OSSL_DECODER_CTX* p) const { OSSL_DECODER_CTX_free(p); }
};

// Accepts both "BEGIN PUBLIC KEY" (SubjectPublicKeyInfo, what `openssl pkey -pubout` writes) and
// "BEGIN RSA PUBLIC KEY" (PKCS#1): the decoder tries every structure it knows.
Pkey read_public_pem(std::string_view pem) {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, DecoderCtxFree> decoder(OSSL_DECODER_CTX_new_for_pkey(
      &raw, "PEM", nullptr, nullptr, EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t left = pem.size();
  if (!decoder || OSSL_DECODER_from_data(decoder.get(), &data, &left) != 1) return nullptr;
  return Pkey(raw);
}

Pkey read_private_pem(std::string_view pem) {
  if (pem.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return nullptr;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  // An empty password (rather than none) stops OpenSSL from prompting on a terminal for an
  // encrypted key; such a key simply fails to load.
  static char empty[] = "";
  return Pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, empty));
}

}  // namespace

HmacSha256::HmacSha256(std::string_view key) {
  std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) throw std::runtime_error("HMAC unavailable: " + take_openssl_error());
  keyed_.reset(EVP_MAC_CTX_new(mac.get()));
  if (!keyed_) throw std::runtime_error("HMAC context: " + take_openssl_error());
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(keyed_.get(), bytes(key), key.size(), params) != 1) {
    throw std::runtime_error("HMAC-SHA256 key: " + take_openssl_error());
  }
}

std::optional<std::string> HmacSha256::sign(std::string_view data) const {
  MacCtx ctx(EVP_MAC_CTX_dup(keyed_.get()));
  std::string out(kHs256Bytes, '\0');
  std::size_t len = 0;
  if (!ctx || EVP_MAC_update(ctx.get(), bytes(data), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) !=
          1 ||
      len != kHs256Bytes) {
    take_openssl_error();
    return std::nullopt;
  }
  return out;
}

bool HmacSha256::verify(std::string_view data, std::string_view mac) const {
  if (mac.size() != kHs256Bytes) return false;
  const auto expected = sign(data);
  return expected && CRYPTO_memcmp(expected->data(), mac.data(), kHs256Bytes) == 0;
}

RsaSha256Verifier::RsaSha256Verifier(std::string_view public_key_pem)
    : key_(read_public_pem(public_key_pem)), sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
  if (!key_) {
    throw std::invalid_argument("RS256 public key is not a PEM public key: " +
                                take_openssl_error());
  }
  if (!EVP_PKEY_is_a(key_.get(), "RSA")) {
    throw std::invalid_argument("RS256 public key is not an RSA key");
  }
  if (EVP_PKEY_get_bits(key_.get()) < 2048) {
    throw std::invalid_argument("RS256 public key is shorter than 2048 bits");
  }
  if (!sha256_) throw std::runtime_error("SHA-256 unavailable: " + take_openssl_error());
  signature_bytes_ = static_cast<std::size_t>(EVP_PKEY_get_size(key_.get()));
}

bool RsaSha256Verifier::verify(std::string_view data, std::string_view signature) const {
  // RFC 7518 3.3 fixes the signature length to the modulus length; anything else is forged.
  if (signature.size() != signature_bytes_) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, sha256_.get(), nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(data), data.size()) ==
          1;
  if (!ok) ERR_clear_error();
  return ok;
}

std::string rsa_sha256_sign(std::string_view private_key_pem, std::string_view data) {
  Pkey key = read_private_pem(private_key_pem);
  if (!key) {
    throw std::invalid_argument("RS256 private key is not a PEM private key: " +
                                take_openssl_error());
  }
  if (!EVP_PKEY_is_a(key.get(), "RSA")) {
    throw std::invalid_argument("RS256 private key is not an RSA key");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, bytes(data), data.size()) != 1) {
    throw std::runtime_error("RS256 signing: " + take_openssl_error());
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     bytes(data), data.size()) != 1) {
    throw std::runtime_error("RS256 signing: " + take_openssl_error());
  }
  signature.resize(len);
  return signature;
}

}  // namespace pulseboard::auth::crypto
