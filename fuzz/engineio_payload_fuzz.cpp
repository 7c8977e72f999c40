// Engine.IO polling payloads and single text packets from arbitrary bytes: decoding must not
// crash, and whatever decodes must survive a re-encode unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engineio/packet.hpp"

namespace eio = pulseboard::eio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);

  if (auto packets = eio::decode_payload(input)) {
    if (packets->empty()) std::abort();  // a payload always holds at least one packet
    std::string body;
    for (const auto& packet : *packets) eio::append_to_payload(body, packet);
    // Base64 may be written differently (padding), so compare packets, not bytes.
    if (eio::decode_payload(body) != packets) std::abort();
  }

  if (auto packet = eio::decode_text(input)) {
    if (packet->binary) {
      std::string body;
      eio::append_to_payload(body, *packet);
      if (eio::decode_text(body) != packet) std::abort();
    } else if (eio::encode_text(packet->type, packet->data) != input) {
      std::abort();
    }
  }
  return 0;
}
