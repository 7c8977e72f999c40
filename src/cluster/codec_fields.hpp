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

namespace pulseboard::cluster::fields {

boost::json::array string_array(const std::vector<std::string>& items);
// Room names are strings, but JavaScript lets numbers through (io.to(42)): their decimal text.
// An absent value is an empty list; anything but an array of those is nullopt.
std::optional<std::vector<std::string>> read_strings(const boost::json::value* v);
// A non-negative integer (or a double, as JSON numbers may arrive); nullopt otherwise.
std::optional<std::uint64_t> read_uint(const boost::json::value* v);
std::optional<std::string> read_string(const boost::json::object& o, std::string_view key);

// Key order of `opts` as each sender writes it: the adapters {rooms,except,flags}, the emitter
// {rooms,flags,except}, and join/leave/disconnect requests without flags.
enum class OptsOrder { adapter, emitter, without_flags };
boost::json::object encode_opts(const BroadcastOptions& opts, OptsOrder order);
// An absent value is the default (every socket); a malformed one is nullopt.
std::optional<BroadcastOptions> decode_opts(const boost::json::value* v);

// A JSON object, or nullopt.
std::optional<boost::json::value> parse_json(std::string_view bytes);
// One msgpack value (binary values become placeholders into `attachments`), or nullopt.
std::optional<boost::json::value> parse_msgpack(std::string_view bytes,
                                                std::vector<std::string>& attachments);
// The receivers' rule for both formats: JSON when the first byte is '{', msgpack otherwise.
std::optional<boost::json::value> parse_json_or_msgpack(std::string_view bytes,
                                                        std::vector<std::string>& attachments);

}  // namespace pulseboard::cluster::fields
