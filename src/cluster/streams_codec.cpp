#include "cluster/streams_codec.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "cluster/codec_fields.hpp"
#include "cluster/msgpack.hpp"
#include "common/base64.hpp"

namespace pulseboard::cluster::streams {

namespace json = boost::json;
using namespace fields;

namespace {

const std::string* field(const Entry& e, std::string_view name) {
  for (const auto& [k, v] : e.fields)
    if (k == name) return &v;
  return nullptr;
}

// `data` of an entry: JSON when it starts with '{' (the Node decoder's test), base64 of msgpack
// otherwise.
std::optional<json::value> parse_data(const std::string& text,
                                      std::vector<std::string>& attachments, Check& check) {
  if (text.size() > check.limits.max_message_bytes) {
    check.cross(Bound::message_bytes);
    return std::nullopt;
  }
  if (!text.empty() && text.front() == '{') return parse_json(text, check);
  auto bytes = base64_decode(text);
  if (!bytes) return std::nullopt;
  return parse_msgpack(*bytes, attachments, check);
}

// The UTF-16 code units of UTF-8 text, as JavaScript's charCodeAt sees a string. Invalid bytes
// count as U+FFFD, as Node decodes them.
template <typename Fn>
void for_each_utf16_unit(std::string_view s, Fn fn) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0xFFFD;
    std::size_t n = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6 || (c >> 4) == 0xE || (c >> 3) == 0x1E) {
      n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
      std::uint32_t v = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
      bool ok = i + n <= s.size();
      for (std::size_t k = 1; ok && k < n; ++k) {
        auto cc = static_cast<unsigned char>(s[i + k]);
        ok = (cc >> 6) == 0x2;
        v = (v << 6) | (cc & 0x3F);
      }
      if (ok)
        cp = v;
      else
        n = 1;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      fn(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      fn(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      fn(static_cast<std::uint16_t>(cp));
    }
    i += n;
  }
}

}  // namespace

sharded::Decoded decode_entry(const Entry& entry, const Limits& limits) {
  sharded::Decoded out;
  out.error = sharded::DecodeError::bad_envelope;
  const std::string* uid = field(entry, "uid");
  const std::string* nsp = field(entry, "nsp");
  const std::string* type = field(entry, "type");
  if (!uid || !nsp || !type || nsp->empty()) return out;
  std::uint64_t type_number = 0;
  auto [end, ec] = std::from_chars(type->data(), type->data() + type->size(), type_number);
  if (ec != std::errc() || end != type->data() + type->size()) return out;

  json::object envelope;
  envelope["type"] = type_number;
  envelope["uid"] = *uid;
  envelope["nsp"] = *nsp;
  std::vector<std::string> attachments;
  Check check{limits};
  if (const std::string* data = field(entry, "data"); data && !data->empty()) {
    auto parsed = parse_data(*data, attachments, check);
    if (!parsed) {
      out.error = check.ok() ? sharded::DecodeError::bad_data : sharded::DecodeError::over_limit;
      out.crossed = check.crossed;
      return out;
    }
    envelope["data"] = std::move(*parsed);
  }
  return sharded::decode_parsed(std::move(envelope), std::move(attachments), limits);
}

std::vector<std::pair<std::string, std::string>> broadcast_fields(
    std::string_view uid, std::string_view nsp, const std::vector<std::string>& rooms,
    std::string_view event, std::string_view args_json) {
  // JSON.stringify of {packet: {type: 2, data: [event, ...args]}, opts: {rooms, except, flags}},
  // the key order ClusterAdapter#broadcast builds it in.
  std::string data = R"({"packet":{"type":2,"data":[)";
  data += json::serialize(json::string_view(event.data(), event.size()));
  if (!args_json.empty()) {
    data += ',';
    data += args_json;
  }
  data += R"(]},"opts":{"rooms":)";
  data += json::serialize(string_array(rooms));
  data += R"(,"except":[],"flags":{}}})";
  return {{"uid", std::string(uid)},
          {"nsp", std::string(nsp)},
          {"type", "3"},
          {"data", std::move(data)}};
}

std::string stream_name(std::string_view base, std::uint32_t count, std::string_view nsp) {
  if (count <= 1) return std::string(base);
  std::uint32_t hash = 0;  // unsigned: the wrap is defined; read back as int32 below
  for_each_utf16_unit(nsp, [&](std::uint16_t unit) { hash = hash * 31 + unit; });
  auto signed_hash = static_cast<std::int64_t>(static_cast<std::int32_t>(hash));
  // C++ `%` truncates toward zero like JavaScript's, so a negative hash gives a negative index.
  std::int64_t index = signed_hash % static_cast<std::int64_t>(count);
  return std::string(base) + "-" + std::to_string(index);
}

bool is_entry_id(std::string_view offset) {
  auto dash = offset.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == offset.size()) return false;
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(offset.substr(0, dash)) && digits(offset.substr(dash + 1));
}

std::optional<std::string> next_entry_id(std::string_view id) {
  if (!is_entry_id(id)) return std::nullopt;
  auto dash = id.find('-');
  std::uint64_t ms = 0, seq = 0;
  auto ms_text = id.substr(0, dash), seq_text = id.substr(dash + 1);
  if (std::from_chars(ms_text.data(), ms_text.data() + ms_text.size(), ms).ec != std::errc() ||
      std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq).ec != std::errc())
    return std::nullopt;
  if (seq == UINT64_MAX) return std::to_string(ms + 1) + "-0";
  return std::to_string(ms) + "-" + std::to_string(seq + 1);
}

std::string encode_session(const Session& s) {
  json::object o;
  o["sid"] = s.sid;
  o["pid"] = s.pid;
  o["rooms"] = string_array(s.rooms);
  o["data"] = s.data;
  return base64_encode(msgpack::encode(o, {}).value_or(std::string()));
}

std::optional<Session> decode_session(std::string_view value, const Limits& limits) {
  if (value.size() > limits.max_message_bytes) return std::nullopt;
  auto bytes = base64_decode(value);
  if (!bytes) return std::nullopt;
  Check check{limits};
  std::vector<std::string> attachments;
  auto v = parse_msgpack(*bytes, attachments, check);
  const json::object* o = v ? v->if_object() : nullptr;
  if (!o || !check.ok()) return std::nullopt;
  auto sid = read_id(*o, "sid", check);
  auto pid = read_id(*o, "pid", check);
  auto rooms = read_strings(o->if_contains("rooms"), check);
  if (!sid || !pid || !rooms || !check.ok()) return std::nullopt;
  Session s{std::move(*sid), std::move(*pid), std::move(*rooms), nullptr};
  if (const json::value* data = o->if_contains("data")) s.data = *data;
  return s;
}

bool includes_session(const std::vector<std::string>& session_rooms, const BroadcastOptions& opts) {
  auto in = [](const std::vector<std::string>& list, const std::string& room) {
    return std::find(list.begin(), list.end(), room) != list.end();
  };
  bool included =
      opts.rooms.empty() || std::any_of(session_rooms.begin(), session_rooms.end(),
                                        [&](const auto& r) { return in(opts.rooms, r); });
  bool excluded = std::any_of(session_rooms.begin(), session_rooms.end(),
                              [&](const auto& r) { return in(opts.except, r); });
  return included && !excluded;
}

}  // namespace pulseboard::cluster::streams
