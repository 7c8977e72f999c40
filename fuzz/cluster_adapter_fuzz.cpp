// Redis adapter messages from arbitrary bytes: what other nodes publish (classic broadcasts,
// requests and responses; sharded messages; the streams adapter's entries, whose `data` is JSON
// or base64 msgpack, and its recoverable sessions) is decoded on every gateway, so a malformed
// one must be refused, never crash it. Whatever decodes must encode again into something that
// decodes: the gateway re-publishes what it answers in these formats.
//
// Both directions run within bounds (cluster/limits.hpp), once with the gateway's defaults and
// once with tight ones that inputs of a few hundred bytes can cross: a refusal must be clean,
// and an encoding, attachments expanded at every placeholder that names them, must never
// exceed max_encoded_bytes (placeholders that all name one `bin` are the attack this guards
// against: sizing refuses them before anything is allocated).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "cluster/adapter_codec.hpp"
#include "cluster/limits.hpp"
#include "cluster/sharded_codec.hpp"
#include "cluster/streams_codec.hpp"
#include "common/base64.hpp"

namespace cluster = pulseboard::cluster;

namespace {

cluster::Limits tight_limits() {
  cluster::Limits l;
  l.max_message_bytes = 2048;
  l.max_values = 256;
  l.max_attachments = 4;
  l.max_rooms = 4;
  l.max_room_bytes = 16;
  l.max_id_bytes = 16;
  l.max_encoded_bytes = 4096;
  return l;
}

// What an encoding made within `limits` must decode within: it may be larger than a received
// message may be (max_encoded_bytes > max_message_bytes), and expanding placeholders or
// turning JSON into msgpack may add `bin` values and msgpack values; rooms, ids and nesting
// are what they were.
cluster::Limits redecode_limits(const cluster::Limits& limits) {
  cluster::Limits l = limits;
  l.max_message_bytes = limits.max_encoded_bytes;
  l.max_values = std::numeric_limits<std::size_t>::max();
  l.max_attachments = std::numeric_limits<std::size_t>::max();
  return l;
}

void check_encoding(const std::string& again, const cluster::Limits& limits,
                    cluster::Bound crossed) {
  if (again.size() > limits.max_encoded_bytes) std::abort();
  // Refused for size only when empty, and only the size bound can be named for an encoding.
  if (crossed != cluster::Bound::none && !again.empty()) std::abort();
  if (crossed != cluster::Bound::none && crossed != cluster::Bound::encoded_bytes) std::abort();
}

void round_trip(std::string_view input, const cluster::Limits& limits) {
  const cluster::Limits again_limits = redecode_limits(limits);
  cluster::Bound crossed = cluster::Bound::none;

  if (auto message = cluster::decode_broadcast(input, limits, &crossed)) {
    const std::string again = cluster::encode_broadcast(*message, limits, &crossed);
    check_encoding(again, limits, crossed);
    if (!again.empty() && !cluster::decode_broadcast(again, again_limits)) std::abort();
  }
  if (auto request = cluster::decode_request(input, limits, &crossed)) {
    const std::string again = cluster::encode_request(*request, limits, &crossed);
    check_encoding(again, limits, crossed);
    if (!again.empty() && !cluster::decode_request(again, again_limits)) std::abort();
  }
  if (auto response = cluster::decode_response(input, limits, &crossed)) {
    const std::string again = cluster::encode_response(*response, limits, &crossed);
    check_encoding(again, limits, crossed);
    if (!again.empty() && !cluster::decode_response(again, again_limits)) std::abort();
  }
  auto decoded = cluster::sharded::decode(input, limits);
  if ((decoded.error == cluster::sharded::DecodeError::over_limit) !=
      (decoded.crossed != cluster::Bound::none))
    std::abort();
  if (decoded.message) {
    const std::string again = cluster::sharded::encode(*decoded.message, limits, &crossed);
    check_encoding(again, limits, crossed);
    if (!again.empty() && !cluster::sharded::decode(again, again_limits).message) std::abort();
    // The streams adapter's Pub/Sub form of the same message.
    const std::string packed = cluster::sharded::encode_msgpack(*decoded.message, limits, &crossed);
    check_encoding(packed, limits, crossed);
    if (!packed.empty() && !cluster::sharded::decode(packed, again_limits).message) std::abort();
  }
}

// The input as a stream entry's `data` (as it is, and as base64 so that msgpack is reached),
// under each message type, and as a recoverable session.
void streams(std::string_view input, const cluster::Limits& limits) {
  namespace streams = cluster::streams;
  const std::string type =
      std::to_string(input.empty() ? 3 : static_cast<unsigned char>(input[0]) % 15);
  for (const std::string& data : {std::string(input), pulseboard::base64_encode(input)}) {
    streams::Entry entry{"1-0", {{"uid", "u"}, {"nsp", "/"}, {"type", type}, {"data", data}}};
    auto decoded = streams::decode_entry(entry, limits);
    if ((decoded.error == cluster::sharded::DecodeError::over_limit) !=
        (decoded.crossed != cluster::Bound::none))
      std::abort();
    if (decoded.message && decoded.message->opts)
      (void)streams::includes_session({"a", "b"}, *decoded.message->opts);
    if (auto session = streams::decode_session(data, limits)) {
      if (!streams::decode_session(streams::encode_session(*session), redecode_limits(limits)))
        std::abort();
    }
  }
  (void)streams::next_entry_id(input);
  (void)streams::stream_name("s", 7, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  static const cluster::Limits defaults{};
  static const cluster::Limits tight = tight_limits();
  round_trip(input, defaults);
  round_trip(input, tight);
  streams(input, defaults);
  streams(input, tight);
  return 0;
}
