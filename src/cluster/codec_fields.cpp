#include "cluster/codec_fields.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cluster/msgpack.hpp"

namespace pulseboard::cluster::fields {

namespace json = boost::json;

json::array string_array(const std::vector<std::string>& items) {
  json::array a;
  a.reserve(items.size());
  for (auto& s : items) a.emplace_back(s);
  return a;
}

std::optional<std::vector<std::string>> read_strings(const json::value* v) {
  std::vector<std::string> out;
  if (!v) return out;
  if (!v->is_array()) return std::nullopt;
  for (auto& item : v->get_array()) {
    if (item.is_string())
      out.emplace_back(item.get_string());
    else if (item.is_int64() || item.is_uint64())
      out.push_back(json::serialize(item));
    else
      return std::nullopt;
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

std::optional<BroadcastOptions> decode_opts(const json::value* v) {
  BroadcastOptions opts;
  if (!v) return opts;
  if (!v->is_object()) return std::nullopt;
  auto& o = v->get_object();
  auto rooms = read_strings(o.if_contains("rooms"));
  auto except = read_strings(o.if_contains("except"));
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

std::optional<json::value> parse_json(std::string_view bytes) {
  boost::system::error_code ec;
  auto v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v;
}

std::optional<json::value> parse_msgpack(std::string_view bytes,
                                         std::vector<std::string>& attachments) {
  auto decoded = msgpack::decode(bytes, attachments);
  auto* v = std::get_if<json::value>(&decoded);
  if (!v) return std::nullopt;
  return std::move(*v);
}

std::optional<json::value> parse_json_or_msgpack(std::string_view bytes,
                                                 std::vector<std::string>& attachments) {
  if (!bytes.empty() && bytes.front() == '{') return parse_json(bytes);
  return parse_msgpack(bytes, attachments);
}

}  // namespace pulseboard::cluster::fields
