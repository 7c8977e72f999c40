#include "changes/pgoutput_decoder.hpp"

#include <cstdio>

namespace pulseboard::changes::pgoutput {

namespace {

constexpr std::int64_t kPgEpochUnixUs = 946'684'800'000'000;

// Network-order reader with bounds checks; the first failure sticks.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : b_(bytes) {}
  bool ok() const { return ok_; }
  std::size_t remaining() const { return b_.size() - pos_; }

  std::uint64_t uint(int n) {
    if (!need(static_cast<std::size_t>(n))) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b_[pos_++]);
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(uint(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(uint(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(uint(4)); }
  std::uint64_t u64() { return uint(8); }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::string_view bytes(std::size_t n) {
    if (!need(n)) return {};
    auto v = b_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::string_view rest() { return bytes(remaining()); }
  std::string cstring() {
    auto end = b_.find('\0', pos_);
    if (!ok_ || end == std::string_view::npos) {
      ok_ = false;
      return {};
    }
    std::string s(b_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }

 private:
  bool need(std::size_t n) {
    if (!ok_ || b_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  std::string_view b_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

void put(std::string& out, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::optional<Tuple> read_tuple(Reader& r) {
  const std::uint16_t n = r.u16();
  if (!r.ok()) return std::nullopt;
  Tuple t;
  t.reserve(n);
  for (std::uint16_t i = 0; i < n; ++i) {
    Value v;
    const char kind = static_cast<char>(r.u8());
    switch (kind) {
      case 'n':
        v.kind = Value::Kind::null;
        break;
      case 'u':
        v.kind = Value::Kind::unchanged_toast;
        break;
      case 't':
      case 'b': {
        v.kind = kind == 't' ? Value::Kind::text : Value::Kind::binary;
        const std::uint32_t len = r.u32();
        v.data = std::string(r.bytes(len));
        break;
      }
      default:
        return std::nullopt;
    }
    if (!r.ok()) return std::nullopt;
    t.push_back(std::move(v));
  }
  return t;
}

DecodeError truncated(char type) {
  return DecodeError{std::string("malformed pgoutput message '") + type + "'"};
}

}  // namespace

std::variant<XLogData, Keepalive, DecodeError> decode_copy_data(std::string_view bytes) {
  Reader r(bytes);
  const char type = static_cast<char>(r.u8());
  if (!r.ok()) return DecodeError{"empty CopyData"};
  if (type == 'w') {
    XLogData x;
    x.wal_start = r.u64();
    x.wal_end = r.u64();
    x.send_time_us = r.i64();
    x.payload = r.rest();
    if (!r.ok()) return DecodeError{"truncated XLogData header"};
    return x;
  }
  if (type == 'k') {
    Keepalive k;
    k.wal_end = r.u64();
    k.send_time_us = r.i64();
    k.reply_requested = r.u8() != 0;
    if (!r.ok()) return DecodeError{"truncated keepalive"};
    return k;
  }
  return DecodeError{std::string("unknown replication message '") + type + "'"};
}

std::string encode_standby_status(Lsn write, Lsn flush, Lsn apply, std::int64_t now_us,
                                  bool reply_requested) {
  std::string out;
  out.reserve(34);
  out.push_back('r');
  put(out, write, 8);
  put(out, flush, 8);
  put(out, apply, 8);
  put(out, static_cast<std::uint64_t>(now_us), 8);
  out.push_back(reply_requested ? 1 : 0);
  return out;
}

std::variant<Message, DecodeError> decode_message(std::string_view bytes) {
  Reader r(bytes);
  const char type = static_cast<char>(r.u8());
  if (!r.ok()) return DecodeError{"empty pgoutput message"};
  switch (type) {
    case 'B': {
      Begin b;
      b.final_lsn = r.u64();
      b.commit_time_us = r.i64();
      b.xid = r.u32();
      if (!r.ok()) return truncated(type);
      return Message{b};
    }
    case 'C': {
      Commit c;
      c.flags = r.u8();
      c.commit_lsn = r.u64();
      c.end_lsn = r.u64();
      c.commit_time_us = r.i64();
      if (!r.ok()) return truncated(type);
      return Message{c};
    }
    case 'R': {
      Relation rel;
      rel.id = r.u32();
      rel.schema = r.cstring();
      rel.name = r.cstring();
      rel.replica_identity = static_cast<char>(r.u8());
      const std::uint16_t n = r.u16();
      for (std::uint16_t i = 0; i < n && r.ok(); ++i) {
        RelationColumn c;
        c.part_of_key = (r.u8() & 1) != 0;
        c.name = r.cstring();
        c.type_oid = r.u32();
        c.type_modifier = r.i32();
        rel.columns.push_back(std::move(c));
      }
      if (!r.ok()) return truncated(type);
      return Message{std::move(rel)};
    }
    case 'I': {
      Insert ins;
      ins.relation_id = r.u32();
      if (static_cast<char>(r.u8()) != 'N') return truncated(type);
      auto t = read_tuple(r);
      if (!t) return truncated(type);
      ins.new_tuple = std::move(*t);
      return Message{std::move(ins)};
    }
    case 'U': {
      Update up;
      up.relation_id = r.u32();
      char marker = static_cast<char>(r.u8());
      if (marker == 'K' || marker == 'O') {
        up.old_kind = marker;
        up.old_tuple = read_tuple(r);
        if (!up.old_tuple) return truncated(type);
        marker = static_cast<char>(r.u8());
      }
      if (!r.ok() || marker != 'N') return truncated(type);
      auto t = read_tuple(r);
      if (!t) return truncated(type);
      up.new_tuple = std::move(*t);
      return Message{std::move(up)};
    }
    case 'D': {
      Delete del;
      del.relation_id = r.u32();
      del.old_kind = static_cast<char>(r.u8());
      if (del.old_kind != 'K' && del.old_kind != 'O') return truncated(type);
      auto t = read_tuple(r);
      if (!t) return truncated(type);
      del.old_tuple = std::move(*t);
      return Message{std::move(del)};
    }
    case 'M': {
      LogicalMessage m;
      m.transactional = (r.u8() & 1) != 0;
      m.lsn = r.u64();
      m.prefix = r.cstring();
      m.content_size = r.u32();
      r.bytes(m.content_size);
      if (!r.ok()) return truncated(type);
      return Message{std::move(m)};
    }
    default:
      return Message{Ignored{type}};
  }
}

std::string format_lsn(Lsn lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffffu));
  return buf;
}

std::optional<Lsn> parse_lsn(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size())
    return std::nullopt;
  auto hex = [](std::string_view s) -> std::optional<std::uint64_t> {
    if (s.size() > 8) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                       : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + static_cast<std::uint64_t>(d);
    }
    return v;
  };
  auto hi = hex(text.substr(0, slash)), lo = hex(text.substr(slash + 1));
  if (!hi || !lo) return std::nullopt;
  return (*hi << 32) | *lo;
}

std::int64_t unix_ms_from_pg_time(std::int64_t pg_time_us) {
  return (pg_time_us + kPgEpochUnixUs) / 1000;
}
std::int64_t pg_time_from_unix_us(std::int64_t unix_us) {
  return unix_us - kPgEpochUnixUs;
}

}  // namespace pulseboard::changes::pgoutput
