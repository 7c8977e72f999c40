#pragma once
// MessagePack <-> Boost.JSON, shaped for Socket.IO: a msgpack `bin` becomes a Socket.IO
// attachment placeholder {"_placeholder":true,"num":N} whose bytes are appended to
// `attachments`, and encoding turns such a placeholder back into `bin`.
//
// Hand-written: Debian 12's libmsgpack-cxx-dev (and libmsgpack-dev, which depends on it)
// depends on libboost-dev, i.e. Boost 1.74, which conflicts with the Boost 1.81 we build with.
//
// Encoding follows notepack.io (what @socket.io/redis-adapter and redis-emitter use):
// integral numbers use the smallest int format, other numbers float64 (0xcb); strings are
// fixstr/str8/16/32, arrays and maps the smallest header. Doubles outside the 64-bit integer
// range are written as float64 (notepack would write a wrapped uint64).
#include <boost/json/value.hpp>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pulseboard::cluster::msgpack {

inline constexpr std::size_t kMaxDepth = 64;  // nested arrays/maps, both directions

enum class DecodeError {
  truncated = 1,         // input ends inside a value, or a length points past the end
  unsupported_ext,       // ext / fixext types (other than notepack's `undefined`, see decode)
  invalid_byte,          // 0xc1, never used by MessagePack
  too_deep,              // nesting beyond kMaxDepth
  bad_key,               // a map key that is neither a string nor an integer
  trailing_bytes,        // bytes left after the top-level value
  invalid_utf8,          // a str that is not UTF-8 (JSON could not carry it on)
  too_many_values,       // more values (keys included) than DecodeLimits::max_values
  too_many_attachments,  // more `bin` values than DecodeLimits::max_attachments
};

// Bounds on what one decode may build; unbounded by default. Checked before room is reserved,
// so a header announcing a million elements costs nothing when the bound is lower.
struct DecodeLimits {
  std::size_t max_values = std::numeric_limits<std::size_t>::max();
  std::size_t max_attachments = std::numeric_limits<std::size_t>::max();
};

// One complete value; trailing bytes are an error. notepack 2.x wrote `undefined` as fixext1
// type 0 (d4 00 00); it decodes to null, as notepack 3.x writes it and as JSON has no undefined.
// Integer map keys are turned into their decimal text, as JavaScript does with object keys.
std::variant<boost::json::value, DecodeError> decode(std::string_view bytes,
                                                     std::vector<std::string>& attachments);
std::variant<boost::json::value, DecodeError> decode(std::string_view bytes,
                                                     std::vector<std::string>& attachments,
                                                     const DecodeLimits& limits);

// nullopt when nesting exceeds kMaxDepth or a placeholder names a missing attachment.
std::optional<std::string> encode(const boost::json::value& value,
                                  const std::vector<std::string>& attachments);
// Appends to `out`; false (with `out` partly written) on the same failures as encode().
bool encode_to(std::string& out, const boost::json::value& value,
               const std::vector<std::string>& attachments);

enum class EncodeError {
  unencodable = 1,  // nesting beyond kMaxDepth, or a placeholder naming a missing attachment
  too_large,        // the encoding would exceed the size asked for
};
// The size encode() would produce, each placeholder counted with its attachment's full size
// (as encode() writes it, however often one attachment is named), computed without allocating.
// Counting stops once it passes `limit` (too_large), so a huge expansion costs no more than
// walking the value.
std::variant<std::size_t, EncodeError> encoded_size(
    const boost::json::value& value, const std::vector<std::string>& attachments,
    std::size_t limit = std::numeric_limits<std::size_t>::max());
// encode(), refused (too_large) before anything is allocated when the result would exceed
// `max_bytes`; the result is allocated once, at its exact size.
std::variant<std::string, EncodeError> encode_bounded(const boost::json::value& value,
                                                      const std::vector<std::string>& attachments,
                                                      std::size_t max_bytes);

// The placeholder object that stands for attachment `num`.
boost::json::object placeholder(std::size_t num);
// Whether every object of `value` with `"_placeholder": true` names one of `attachments`
// attachments (an integer `num` below it), the rule the gateway's Socket.IO decoder applies to
// clients. socket.io-client closes its connection ("parse error") on a binary packet that
// breaks it, so an adapter message that does is malformed.
bool placeholders_in_range(const boost::json::value& value, std::size_t attachments);

}  // namespace pulseboard::cluster::msgpack
