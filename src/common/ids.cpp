#include "common/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace pulseboard {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}

std::string random_token(std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  std::string out(n, 'A');
  for (std::size_t i = 0; i < n; ++i) out[i] = kAlphabet[static_cast<unsigned char>(bytes[i]) & 63];
  return out;
}

std::string random_id20() {
  return random_token(20);
}

}  // namespace pulseboard
