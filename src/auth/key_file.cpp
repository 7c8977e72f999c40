#include "auth/key_file.hpp"

#include <fstream>
#include <iterator>

namespace pulseboard::auth {
namespace {
constexpr std::streamoff kMaxKeyFileBytes = 1 << 20;
}

std::optional<std::string> read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  const std::streamoff size = in.tellg();
  if (size < 0 || size > kMaxKeyFileBytes) return std::nullopt;
  std::string text(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(text.data(), size)) return std::nullopt;
  return text;
}

}  // namespace pulseboard::auth
