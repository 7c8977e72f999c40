// The Socket.IO decoder on an arbitrary sequence of Engine.IO messages. The input is read as
// chunks "<kind byte><length byte><bytes>": an odd kind byte makes a binary message, an even one
// a text message. Every packet that comes out must encode and decode back to itself.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "sio/packet.hpp"

namespace sio = pulseboard::sio;

namespace {

// Boost.JSON 1.81 does not round every decimal to the nearest double (its precise mode arrived
// in 1.83), so a number may move by an ULP when re-parsed; and JSON has one number type, so a
// double 1.0 is written as 1 and comes back as an integer. Everything else must be identical.
bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_number() && b.is_number() && (a.is_double() || b.is_double())) {
    const double x = a.to_number<double>(), y = b.to_number<double>();
    return x == y || std::fabs(x - y) <= 4 * std::numeric_limits<double>::epsilon() *
                                             std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_json(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& member : x) {
      const auto* other = y.if_contains(member.key());
      if (!other || !same_json(member.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

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
      again.data.has_value() != packet.data.has_value() ||
      (packet.data && !same_json(*again.data, *packet.data)) ||
      again.attachments != packet.attachments) {
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
