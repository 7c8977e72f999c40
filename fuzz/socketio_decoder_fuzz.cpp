// The Socket.IO decoder on an arbitrary sequence of Engine.IO messages. The input is read as
// chunks "<kind byte><length byte><bytes>": an odd kind byte makes a binary message, an even one
// a text message. Every packet that comes out must encode and decode back to itself.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "socketio/packet.hpp"

namespace sio = pulseboard::sio;

namespace {

void check_round_trip(const sio::Packet& packet) {
  sio::Decoder decoder;
  auto status = decoder.add_text(sio::encode(packet));
  for (const auto& attachment : packet.attachments) {
    if (status != sio::Decoder::Status::need_more) std::abort();
    status = decoder.add_binary(attachment);
  }
  if (status != sio::Decoder::Status::packet) std::abort();
  const sio::Packet again = decoder.take();
  if (again.type != packet.type || again.nsp != packet.nsp || again.id != packet.id ||
      again.data != packet.data || again.attachments != packet.attachments) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  sio::Decoder decoder(4);
  while (input.size() >= 2) {
    const bool binary = (std::uint8_t(input[0]) & 1) != 0;
    const std::size_t length = std::min<std::size_t>(std::uint8_t(input[1]), input.size() - 2);
    const auto chunk = input.substr(2, length);
    input.remove_prefix(2 + length);

    const auto status = binary ? decoder.add_binary(chunk) : decoder.add_text(chunk);
    if (status == sio::Decoder::Status::packet) {
      check_round_trip(decoder.take());
    } else if (status == sio::Decoder::Status::error) {
      if (decoder.error() == sio::DecodeError::none || decoder.awaiting_attachments()) std::abort();
    }
  }
  return 0;
}
