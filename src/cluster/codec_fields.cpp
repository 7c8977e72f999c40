#include "cluster/codec_fields.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cluster/msgpack.hpp"
#include "common/json_text.hpp"

namespace pulseboard::cluster::fields {

namespace json = boost::json;

json::array string_array(const std::vector<std::string>& items) {
  json::array a;
  a.reserve(items.size());
  for (auto& s : items) a.emplace_back(s);
  return a;
}

std::optional<std::vector<std::string>> read_strings(const json::value* v, Check& check) {
  std::vector<std::string> out;
  if (!v) return out;
  if (!v->is_array()) return std::nullopt;
  auto& items = v->get_array();
  if (items.size() > check.limits.max_rooms) {
    check.cross(Bound::rooms);
    return std::nullopt;
  }
  out.reserve(items.size());
  for (auto& item : items) {
    if (item.is_string())
      out.emplace_back(item.get_string());
    else if (item.is_int64() || item.is_uint64())
      out.push_back(json::serialize(item));
    else
      return std::nullopt;
    // A number's text too: the name is bounded as the string it becomes, so what is sent on
    // again reads back within the same bound.
    if (out.back().size() > check.limits.max_room_bytes) {
      check.cross(Bound::room_bytes);
      return std::nullopt;
    }
  }
  return out;
}

std::optional<std::uint64_t> read_uint(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  // 2^64 and above do not fit; the cast would be undefined.
  if (v->is_double() && v->get_double() >= 0 && v->get_double() < 18446744073709551616.0)
    return static_cast<std::uint64_t>(v->get_double());
  return std::nullopt;
}

std::optional<std::string> read_string(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v && v->is_string()) return std::string(v->get_string());
  return std::nullopt;
}

namespace {

std::optional<std::string> read_bounded(const json::object& o, std::string_view key,
                                        std::size_t max_bytes, Bound bound, Check& check) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  if (v->get_string().size() > max_bytes) {
    check.cross(bound);
    return std::nullopt;
  }
  return std::string(v->get_string());
}

}  // namespace

std::optional<std::string> read_id(const json::object& o, std::string_view key, Check& check) {
  return read_bounded(o, key, check.limits.max_id_bytes, Bound::id_bytes, check);
}

std::optional<std::string> read_room(const json::object& o, std::string_view key, Check& check) {
  return read_bounded(o, key, check.limits.max_room_bytes, Bound::room_bytes, check);
}

json::object encode_opts(const BroadcastOptions& opts, OptsOrder order) {
  json::object flags;
  if (opts.is_volatile) flags["volatile"] = true;
  if (opts.compress) flags["compress"] = *opts.compress;
  if (opts.timeout_ms) flags["timeout"] = *opts.timeout_ms;
  json::object o;
  o["rooms"] = string_array(opts.rooms);
  if (order == OptsOrder::emitter) o["flags"] = std::move(flags);
  o["except"] = string_array(opts.except);
  if (order == OptsOrder::adapter) o["flags"] = std::move(flags);
  return o;
}

std::optional<BroadcastOptions> decode_opts(const json::value* v, Check& check) {
  BroadcastOptions opts;
  if (!v) return opts;
  if (!v->is_object()) return std::nullopt;
  auto& o = v->get_object();
  auto rooms = read_strings(o.if_contains("rooms"), check);
  auto except = read_strings(o.if_contains("except"), check);
  if (!rooms || !except) return std::nullopt;
  opts.rooms = std::move(*rooms);
  opts.except = std::move(*except);
  if (auto* f = o.if_contains("flags"); f && f->is_object()) {
    auto& flags = f->get_object();
    if (auto* x = flags.if_contains("volatile"); x && x->is_bool())
      opts.is_volatile = x->get_bool();
    if (auto* x = flags.if_contains("compress"); x && x->is_bool()) opts.compress = x->get_bool();
    opts.timeout_ms = read_uint(flags.if_contains("timeout"));
  }
  return opts;
}

namespace {

// An upper bound of the values (keys included) in JSON text, found without parsing it: every
// value but the first is preceded, outside strings, by one of `[ { , :` (an empty array or
// object counts one more than it holds).
std::size_t json_values_upper_bound(std::string_view text) {
  std::size_t n = 1;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{' || c == ',' || c == ':') {
      ++n;
    }
  }
  return n;
}

}  // namespace

std::optional<json::value> parse_json(std::string_view bytes, Check& check) {
  if (json_values_upper_bound(bytes) > check.limits.max_values) {
    check.cross(Bound::values);
    return std::nullopt;
  }
  // The same nesting bound as msgpack's, so that a message converts between the two forms
  // (Boost.JSON's own default is 32). Its parser keeps its own stack: no recursion here.
  json::parse_options options;
  options.max_depth = msgpack::kMaxDepth;
  boost::system::error_code ec;
  auto v = json::parse(bytes, ec, {}, options);
  if (ec == json::error::too_deep) check.cross(Bound::depth);
  if (ec || !v.is_object()) return std::nullopt;
  return v;
}

std::optional<json::value> parse_msgpack(std::string_view bytes,
                                         std::vector<std::string>& attachments, Check& check) {
  msgpack::DecodeLimits limits{.max_values = check.limits.max_values,
                               .max_attachments = check.limits.max_attachments};
  auto decoded = msgpack::decode(bytes, attachments, limits);
  if (auto* e = std::get_if<msgpack::DecodeError>(&decoded)) {
    if (*e == msgpack::DecodeError::too_deep) check.cross(Bound::depth);
    if (*e == msgpack::DecodeError::too_many_values) check.cross(Bound::values);
    if (*e == msgpack::DecodeError::too_many_attachments) check.cross(Bound::attachments);
    return std::nullopt;
  }
  return std::move(std::get<json::value>(decoded));
}

std::optional<json::value> parse_json_or_msgpack(std::string_view bytes,
                                                 std::vector<std::string>& attachments,
                                                 Check& check) {
  if (bytes.size() > check.limits.max_message_bytes) {
    check.cross(Bound::message_bytes);
    return std::nullopt;
  }
  if (!bytes.empty() && bytes.front() == '{') return parse_json(bytes, check);
  return parse_msgpack(bytes, attachments, check);
}

std::string msgpack_within(const json::value& v, const std::vector<std::string>& attachments,
                           Check& check) {
  auto encoded = msgpack::encode_bounded(v, attachments, check.limits.max_encoded_bytes);
  if (auto* e = std::get_if<msgpack::EncodeError>(&encoded)) {
    if (*e == msgpack::EncodeError::too_large) check.cross(Bound::encoded_bytes);
    return {};
  }
  return std::move(std::get<std::string>(encoded));
}

std::string json_within(const json::value& v, Check& check) {
  auto text = to_json_text(v);  // as JSON.stringify: non-finite numbers become null
  if (text.size() > check.limits.max_encoded_bytes) {
    check.cross(Bound::encoded_bytes);
    return {};
  }
  return text;
}

}  // namespace pulseboard::cluster::fields
