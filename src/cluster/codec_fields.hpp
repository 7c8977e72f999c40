#pragma once
// Field readers and writers shared by the classic (adapter_codec) and sharded (sharded_codec)
// adapter formats: both carry the same `opts` object and the same JSON-or-msgpack payloads.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/adapter_codec.hpp"
#include "cluster/limits.hpp"

namespace pulseboard::cluster::fields {

// Where a decoder notes the first bound a message crossed (Bound::none while within all).
struct Check {
  const Limits& limits;
  Bound crossed = Bound::none;
  bool ok() const { return crossed == Bound::none; }
  void cross(Bound b) {
    if (crossed == Bound::none) crossed = b;
  }
};

boost::json::array string_array(const std::vector<std::string>& items);
// Room names are strings, but JavaScript lets numbers through (io.to(42)): their decimal text.
// An absent value is an empty list; anything but an array of those is nullopt. More than
// max_rooms entries or a name longer than max_room_bytes: nullopt, noted in `check`.
std::optional<std::vector<std::string>> read_strings(const boost::json::value* v, Check& check);
// A non-negative integer (or a double, as JSON numbers may arrive); nullopt otherwise.
std::optional<std::uint64_t> read_uint(const boost::json::value* v);
std::optional<std::string> read_string(const boost::json::object& o, std::string_view key);
// An identifier (uid, requestId, nsp, sid): as read_string, and nullopt noted in `check` past
// max_id_bytes.
std::optional<std::string> read_id(const boost::json::object& o, std::string_view key,
                                   Check& check);
// A room name (the legacy `room` field): nullopt noted in `check` past max_room_bytes.
std::optional<std::string> read_room(const boost::json::object& o, std::string_view key,
                                     Check& check);

// Key order of `opts` as each sender writes it: the adapters {rooms,except,flags}, the emitter
// {rooms,flags,except}, and join/leave/disconnect requests without flags.
enum class OptsOrder { adapter, emitter, without_flags };
boost::json::object encode_opts(const BroadcastOptions& opts, OptsOrder order);
// An absent value is the default (every socket); a malformed one is nullopt.
std::optional<BroadcastOptions> decode_opts(const boost::json::value* v, Check& check);

// A JSON object, or nullopt (nested deeper than msgpack::kMaxDepth, or more values than
// max_values by a count of `[ { , :` outside strings made before parsing: noted in `check`).
std::optional<boost::json::value> parse_json(std::string_view bytes, Check& check);
// One msgpack value (binary values become placeholders into `attachments`), or nullopt; past
// the depth, values or attachments bound noted in `check`.
std::optional<boost::json::value> parse_msgpack(std::string_view bytes,
                                                std::vector<std::string>& attachments,
                                                Check& check);
// The receivers' rule for both formats: JSON when the first byte is '{', msgpack otherwise.
// Refused before parsing past max_message_bytes.
std::optional<boost::json::value> parse_json_or_msgpack(std::string_view bytes,
                                                        std::vector<std::string>& attachments,
                                                        Check& check);

// Encodings of what the gateway builds, within max_encoded_bytes (Bound::encoded_bytes noted
// in `check`, nothing allocated for the refused encoding). Empty on failure.
// msgpack: attachments expanded at each placeholder, sized before allocating.
std::string msgpack_within(const boost::json::value& v, const std::vector<std::string>& attachments,
                           Check& check);
// JSON text as JSON.stringify writes it. It carries no attachments, so its size is that of the
// value already in memory; it is measured once written.
std::string json_within(const boost::json::value& v, Check& check);

}  // namespace pulseboard::cluster::fields
