#pragma once
#include <optional>
#include <string>

namespace pulseboard::auth {

// Reads a PEM key file (JWT_PUBLIC_KEY_FILE). nullopt when it cannot be read or is larger than
// 1 MiB, which no PEM key is.
std::optional<std::string> read_key_file(const std::string& path);

}  // namespace pulseboard::auth
