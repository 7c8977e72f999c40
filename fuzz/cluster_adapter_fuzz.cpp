// Redis adapter messages from arbitrary bytes: what other nodes publish (classic broadcasts,
// requests and responses; sharded messages) is decoded on every gateway, so a malformed one
// must be refused, never crash it. Whatever decodes must encode again into something that
// decodes: the gateway re-publishes what it answers in these formats.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/adapter_codec.hpp"
#include "cluster/sharded_codec.hpp"

namespace cluster = pulseboard::cluster;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);

  if (auto message = cluster::decode_broadcast(input)) {
    const std::string again = cluster::encode_broadcast(*message);
    if (!again.empty() && !cluster::decode_broadcast(again)) std::abort();
  }
  if (auto request = cluster::decode_request(input)) {
    const std::string again = cluster::encode_request(*request);
    if (!again.empty() && !cluster::decode_request(again)) std::abort();
  }
  if (auto response = cluster::decode_response(input)) {
    const std::string again = cluster::encode_response(*response);
    if (!again.empty() && !cluster::decode_response(again)) std::abort();
  }
  if (auto decoded = cluster::sharded::decode(input); decoded.message) {
    const std::string again = cluster::sharded::encode(*decoded.message);
    if (!again.empty() && !cluster::sharded::decode(again).message) std::abort();
  }
  return 0;
}
