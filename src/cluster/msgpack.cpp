#include "cluster/msgpack.hpp"

#include <bit>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "common/utf8.hpp"

namespace pulseboard::cluster::msgpack {

namespace json = boost::json;

namespace {

// ---- encoding ----

// Where encoding writes: a std::string, or a Counter that only adds up the size, so the size of
// an encoding (attachments expanded) is known before anything is allocated for it.
struct Counter {
  std::size_t size = 0;
  std::size_t limit = std::numeric_limits<std::size_t>::max();
  void push_back(char) { ++size; }
  void append(const char*, std::size_t n) { size += n; }
  void append(const std::string& s) { size += s.size(); }
};
bool over(const std::string&) {
  return false;
}
bool over(const Counter& c) {
  return c.size > c.limit;
}

template <class Out>
void put_be(Out& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

template <class Out>
void put_header(Out& out, std::size_t n, unsigned char fix, std::size_t fix_limit, unsigned char b8,
                unsigned char b16, unsigned char b32) {
  if (n < fix_limit) {
    out.push_back(static_cast<char>(fix | n));
  } else if (b8 != 0 && n < 0x100) {
    out.push_back(static_cast<char>(b8));
    put_be(out, n, 1);
  } else if (n < 0x10000) {
    out.push_back(static_cast<char>(b16));
    put_be(out, n, 2);
  } else {
    out.push_back(static_cast<char>(b32));
    put_be(out, n, 4);
  }
}

template <class Out>
void put_uint(Out& out, std::uint64_t v) {
  if (v < 0x80) {
    out.push_back(static_cast<char>(v));
  } else if (v < 0x100) {
    out.push_back('\xcc');
    put_be(out, v, 1);
  } else if (v < 0x10000) {
    out.push_back('\xcd');
    put_be(out, v, 2);
  } else if (v < 0x100000000ull) {
    out.push_back('\xce');
    put_be(out, v, 4);
  } else {
    out.push_back('\xcf');
    put_be(out, v, 8);
  }
}

template <class Out>
void put_int(Out& out, std::int64_t v) {
  if (v >= 0) return put_uint(out, static_cast<std::uint64_t>(v));
  auto bits = static_cast<std::uint64_t>(v);
  if (v >= -0x20) {
    out.push_back(static_cast<char>(bits & 0xff));
  } else if (v >= -0x80) {
    out.push_back('\xd0');
    put_be(out, bits, 1);
  } else if (v >= -0x8000) {
    out.push_back('\xd1');
    put_be(out, bits, 2);
  } else if (v >= -0x80000000ll) {
    out.push_back('\xd2');
    put_be(out, bits, 4);
  } else {
    out.push_back('\xd3');
    put_be(out, bits, 8);
  }
}

template <class Out>
void put_double(Out& out, double d) {
  // notepack: integral finite numbers are integers (-0 included, as 0).
  if (std::isfinite(d) && std::floor(d) == d) {
    if (d >= 0 && d < 18446744073709551616.0) return put_uint(out, static_cast<std::uint64_t>(d));
    if (d < 0 && d >= -9223372036854775808.0) return put_int(out, static_cast<std::int64_t>(d));
  }
  out.push_back('\xcb');
  put_be(out, std::bit_cast<std::uint64_t>(d), 8);
}

// The attachment index if `o` is a Socket.IO placeholder, -1 if it is an ordinary object.
std::int64_t placeholder_num(const json::object& o) {
  if (o.size() != 2) return -1;
  auto* flag = o.if_contains("_placeholder");
  auto* num = o.if_contains("num");
  if (!flag || !num || !flag->is_bool() || !flag->get_bool()) return -1;
  if (num->is_int64()) return num->get_int64();
  if (num->is_uint64() && num->get_uint64() <= std::numeric_limits<std::int64_t>::max())
    return static_cast<std::int64_t>(num->get_uint64());
  return -1;
}

// False when nesting exceeds kMaxDepth, a placeholder names a missing attachment, or (Counter)
// the size went past its limit: a placeholder repeated a million times is not added up further.
template <class Out>
bool put_value(Out& out, const json::value& v, const std::vector<std::string>& att,
               std::size_t depth) {
  if (over(out)) return false;
  switch (v.kind()) {
    case json::kind::null:
      out.push_back('\xc0');
      return true;
    case json::kind::bool_:
      out.push_back(v.get_bool() ? '\xc3' : '\xc2');
      return true;
    case json::kind::int64:
      put_int(out, v.get_int64());
      return true;
    case json::kind::uint64:
      put_uint(out, v.get_uint64());
      return true;
    case json::kind::double_:
      put_double(out, v.get_double());
      return true;
    case json::kind::string: {
      auto& s = v.get_string();
      put_header(out, s.size(), 0xa0, 32, 0xd9, 0xda, 0xdb);
      out.append(s.data(), s.size());
      return true;
    }
    case json::kind::array: {
      if (depth >= kMaxDepth) return false;
      auto& a = v.get_array();
      put_header(out, a.size(), 0x90, 16, 0, 0xdc, 0xdd);
      for (auto& item : a)
        if (!put_value(out, item, att, depth + 1)) return false;
      return true;
    }
    case json::kind::object: {
      auto& o = v.get_object();
      if (auto num = placeholder_num(o); num >= 0) {
        if (static_cast<std::uint64_t>(num) >= att.size()) return false;
        auto& bytes = att[static_cast<std::size_t>(num)];
        put_header(out, bytes.size(), 0, 0, 0xc4, 0xc5, 0xc6);
        out.append(bytes);
        return true;
      }
      if (depth >= kMaxDepth) return false;
      put_header(out, o.size(), 0x80, 16, 0, 0xde, 0xdf);
      for (auto& [key, item] : o) {
        put_header(out, key.size(), 0xa0, 32, 0xd9, 0xda, 0xdb);
        out.append(key.data(), key.size());
        if (!put_value(out, item, att, depth + 1)) return false;
      }
      return true;
    }
  }
  return false;
}

// ---- decoding ----

class Reader {
 public:
  Reader(std::string_view in, std::vector<std::string>& att, const DecodeLimits& limits)
      : in_(in), att_(att), limits_(limits) {}

  std::variant<json::value, DecodeError> top() {
    json::value v;
    if (auto e = value(v, 0); e) return *e;
    if (pos_ != in_.size()) return DecodeError::trailing_bytes;
    return v;
  }

 private:
  using Err = std::optional<DecodeError>;

  bool has(std::size_t n) const { return in_.size() - pos_ >= n; }

  std::uint64_t be(int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in_[pos_++]);
    return v;
  }

  Err read_be(int bytes, std::uint64_t& v) {
    if (!has(static_cast<std::size_t>(bytes))) return DecodeError::truncated;
    v = be(bytes);
    return std::nullopt;
  }

  Err bytes(std::size_t n, std::string_view& s) {
    if (!has(n)) return DecodeError::truncated;
    s = in_.substr(pos_, n);
    pos_ += n;
    return std::nullopt;
  }

  Err string(std::size_t n, json::value& v) {
    std::string_view s;
    if (auto e = bytes(n, s)) return e;
    // What is decoded here may be answered or forwarded as JSON, which must be UTF-8; JSON
    // input gets the same check from the JSON parser.
    if (!is_valid_utf8(s)) return DecodeError::invalid_utf8;
    v = json::string(s);
    return std::nullopt;
  }

  Err bin(std::size_t n, json::value& v) {
    std::string_view s;
    if (auto e = bytes(n, s)) return e;
    if (att_.size() >= limits_.max_attachments) return DecodeError::too_many_attachments;
    v = placeholder(att_.size());
    att_.emplace_back(s);
    return std::nullopt;
  }

  // Whether `n` more values fit in the bound, before room is reserved for them.
  bool values_fit(std::size_t n) const { return n <= limits_.max_values - values_; }

  Err array(std::size_t n, json::value& v, std::size_t depth) {
    if (depth >= kMaxDepth) return DecodeError::too_deep;
    if (!has(n)) return DecodeError::truncated;  // every element takes at least one byte
    if (!values_fit(n)) return DecodeError::too_many_values;
    auto& a = v.emplace_array();
    a.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      json::value item;
      if (auto e = value(item, depth + 1)) return e;
      a.push_back(std::move(item));
    }
    return std::nullopt;
  }

  Err map(std::size_t n, json::value& v, std::size_t depth) {
    if (depth >= kMaxDepth) return DecodeError::too_deep;
    if (!has(n)) return DecodeError::truncated;
    if (!values_fit(2 * n)) return DecodeError::too_many_values;  // n <= input size: no overflow
    auto& o = v.emplace_object();
    o.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      json::value key, item;
      if (auto e = value(key, depth + 1)) return e;
      if (auto e = value(item, depth + 1)) return e;
      if (key.is_string())
        o.insert_or_assign(key.get_string(), std::move(item));
      else if (key.is_int64() || key.is_uint64())
        o.insert_or_assign(json::serialize(key), std::move(item));
      else
        return DecodeError::bad_key;
    }
    return std::nullopt;
  }

  Err value(json::value& v, std::size_t depth) {
    if (!has(1)) return DecodeError::truncated;
    if (values_ >= limits_.max_values) return DecodeError::too_many_values;
    ++values_;
    auto b = static_cast<unsigned char>(in_[pos_++]);
    std::uint64_t n = 0;
    if (b <= 0x7f) {
      v = static_cast<std::int64_t>(b);
      return std::nullopt;
    }
    if (b >= 0xe0) {
      v = static_cast<std::int64_t>(static_cast<std::int8_t>(b));
      return std::nullopt;
    }
    if ((b & 0xf0) == 0x80) return map(b & 0x0f, v, depth);
    if ((b & 0xf0) == 0x90) return array(b & 0x0f, v, depth);
    if ((b & 0xe0) == 0xa0) return string(b & 0x1f, v);
    switch (b) {
      case 0xc0:
        v = nullptr;
        return std::nullopt;
      case 0xc2:
        v = false;
        return std::nullopt;
      case 0xc3:
        v = true;
        return std::nullopt;
      case 0xc4:
      case 0xc5:
      case 0xc6: {
        if (auto e = read_be(1 << (b - 0xc4), n)) return e;
        return bin(n, v);
      }
      case 0xca: {
        if (auto e = read_be(4, n)) return e;
        v = static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(n)));
        return std::nullopt;
      }
      case 0xcb: {
        if (auto e = read_be(8, n)) return e;
        v = std::bit_cast<double>(n);
        return std::nullopt;
      }
      case 0xcc:
      case 0xcd:
      case 0xce:
        if (auto e = read_be(1 << (b - 0xcc), n)) return e;
        v = static_cast<std::int64_t>(n);
        return std::nullopt;
      case 0xcf:
        if (auto e = read_be(8, n)) return e;
        if (n <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          v = static_cast<std::int64_t>(n);
        else
          v = n;
        return std::nullopt;
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {
        int width = 1 << (b - 0xd0);
        if (auto e = read_be(width, n)) return e;
        int shift = 64 - 8 * width;  // sign-extend
        v = static_cast<std::int64_t>(n << shift) >> shift;
        return std::nullopt;
      }
      case 0xd4:
        // notepack 2.x wrote `undefined` as fixext1 type 0 with a zero byte.
        if (has(2) && in_[pos_] == 0 && in_[pos_ + 1] == 0) {
          pos_ += 2;
          v = nullptr;
          return std::nullopt;
        }
        return has(2) ? Err{DecodeError::unsupported_ext} : Err{DecodeError::truncated};
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
      case 0xc7:
      case 0xc8:
      case 0xc9:
        return DecodeError::unsupported_ext;
      case 0xd9:
      case 0xda:
      case 0xdb:
        if (auto e = read_be(1 << (b - 0xd9), n)) return e;
        return string(n, v);
      case 0xdc:
      case 0xdd:
        if (auto e = read_be(b == 0xdc ? 2 : 4, n)) return e;
        return array(n, v, depth);
      case 0xde:
      case 0xdf:
        if (auto e = read_be(b == 0xde ? 2 : 4, n)) return e;
        return map(n, v, depth);
      default:
        return DecodeError::invalid_byte;  // 0xc1
    }
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::vector<std::string>& att_;
  const DecodeLimits& limits_;
  std::size_t values_ = 0;  // decoded so far, keys included
};

}  // namespace

std::variant<json::value, DecodeError> decode(std::string_view bytes,
                                              std::vector<std::string>& attachments) {
  return decode(bytes, attachments, DecodeLimits{});
}

std::variant<json::value, DecodeError> decode(std::string_view bytes,
                                              std::vector<std::string>& attachments,
                                              const DecodeLimits& limits) {
  return Reader(bytes, attachments, limits).top();
}

bool encode_to(std::string& out, const json::value& value,
               const std::vector<std::string>& attachments) {
  return put_value(out, value, attachments, 0);
}

std::optional<std::string> encode(const json::value& value,
                                  const std::vector<std::string>& attachments) {
  std::string out;
  if (!encode_to(out, value, attachments)) return std::nullopt;
  return out;
}

std::variant<std::size_t, EncodeError> encoded_size(const json::value& value,
                                                    const std::vector<std::string>& attachments,
                                                    std::size_t limit) {
  Counter counter;
  counter.limit = limit;
  bool ok = put_value(counter, value, attachments, 0);
  if (over(counter)) return EncodeError::too_large;
  if (!ok) return EncodeError::unencodable;
  return counter.size;
}

std::variant<std::string, EncodeError> encode_bounded(const json::value& value,
                                                      const std::vector<std::string>& attachments,
                                                      std::size_t max_bytes) {
  auto size = encoded_size(value, attachments, max_bytes);
  if (auto* e = std::get_if<EncodeError>(&size)) return *e;
  std::string out;
  out.reserve(std::get<std::size_t>(size));
  if (!encode_to(out, value, attachments)) return EncodeError::unencodable;
  return out;
}

json::object placeholder(std::size_t num) {
  json::object o;
  o["_placeholder"] = true;
  o["num"] = static_cast<std::int64_t>(num);
  return o;
}

bool placeholders_in_range(const json::value& value, std::size_t attachments) {
  if (const auto* a = value.if_array()) {
    for (const auto& item : *a)
      if (!placeholders_in_range(item, attachments)) return false;
    return true;
  }
  const auto* o = value.if_object();
  if (!o) return true;
  if (const auto* flag = o->if_contains("_placeholder");
      flag && flag->is_bool() && flag->get_bool()) {
    // As the gateway's Socket.IO decoder checks a client's packets: other keys may be there.
    const auto* num = o->if_contains("num");
    if (!num) return false;
    if (const auto* u = num->if_uint64()) return *u < attachments;
    if (const auto* i = num->if_int64())
      return *i >= 0 && static_cast<std::uint64_t>(*i) < attachments;
    return false;
  }
  for (const auto& member : *o)
    if (!placeholders_in_range(member.value(), attachments)) return false;
  return true;
}

}  // namespace pulseboard::cluster::msgpack
