#include "bridge/bridge_message.hpp"

#include <boost/json.hpp>

#include <limits>

#include "cluster/codec_fields.hpp"
#include "common/json_text.hpp"

namespace pulseboard::bridge {
namespace json = boost::json;

namespace {

void append_member(std::string& out, std::string_view key, std::string_view value) {
  out += json::serialize(json::string_view(key));
  out += ':';
  out += json::serialize(json::string_view(value));
}

// A whole, positive number of milliseconds up to kMaxTimeMs; 0 for anything else.
std::int64_t time_ms(const json::value* v) {
  if (!v) return 0;
  double ms = 0;
  if (v->is_int64())
    ms = static_cast<double>(v->as_int64());
  else if (v->is_uint64())
    ms = static_cast<double>(v->as_uint64());
  else if (v->is_double())
    ms = v->as_double();
  if (!(ms > 0) || ms > static_cast<double>(kMaxTimeMs)) return 0;
  return static_cast<std::int64_t>(ms);
}

std::optional<Message> message_from(const json::object& o) {
  const json::value* room = o.if_contains("room");
  const json::value* event = o.if_contains("event");
  if (!room || !room->is_string() || !event || !event->is_string() || event->as_string().empty())
    return std::nullopt;
  Message m;
  if (const json::value* n = o.if_contains("nsp"); n && n->is_string()) m.nsp = n->as_string();
  m.room = room->as_string();
  m.event = event->as_string();
  const json::value* retain = o.if_contains("retain");
  m.retain = retain && retain->is_bool() && retain->as_bool();

  if (const json::value* data = o.if_contains("data")) {
    m.args = to_json_text(*data);
    if (const json::object* d = data->if_object()) {
      if (const json::value* id = d->if_contains("eventId"); id && id->is_string())
        if (!id->as_string().empty() && id->as_string().size() <= Message::kMaxOffset)
          m.offset = id->as_string();
      m.committed_at_ms = time_ms(d->if_contains("committedAt"));
    }
  }
  return m;
}

std::optional<Canary> canary_from(const json::object& o) {
  const json::value* kind = o.if_contains("kind");
  if (!kind || !kind->is_string() || kind->as_string() != kCanaryKind) return std::nullopt;
  Canary c{.committed_at_ms = time_ms(o.if_contains("committedAt")),
           .published_at_ms = time_ms(o.if_contains("publishedAt"))};
  if (c.committed_at_ms == 0) return std::nullopt;
  return c;
}

// The text as a JSON object within `limits`; null past a bound (named in `crossed`) or when
// it is not an object.
std::optional<json::value> parse_object(std::string_view text, const cluster::Limits& limits,
                                        cluster::Bound* crossed) {
  cluster::fields::Check check{limits};
  std::optional<json::value> v;
  if (text.size() > limits.max_message_bytes)
    check.cross(cluster::Bound::message_bytes);
  else
    v = cluster::fields::parse_json(text, check);
  if (crossed) *crossed = check.crossed;
  if (!v || !v->is_object()) return std::nullopt;
  return v;
}

}  // namespace

std::string to_json(const Canary& c) {
  std::string out = R"({"kind":")";
  out += kCanaryKind;
  out += R"(","committedAt":)" + std::to_string(c.committed_at_ms);
  out += R"(,"publishedAt":)" + std::to_string(c.published_at_ms) + "}";
  return out;
}

std::string to_json(const Message& m) {
  std::string out = "{";
  append_member(out, "room", m.room);
  out += ',';
  append_member(out, "event", m.event);
  if (m.nsp != "/") {
    out += ',';
    append_member(out, "nsp", m.nsp);
  }
  if (m.retain) out += R"(,"retain":true)";
  if (!m.args.empty()) {
    out += R"(,"data":)";
    out += m.args;
  }
  out += '}';
  return out;
}

std::string retained_field(std::string_view nsp, std::string_view room, std::string_view event) {
  return to_json_text(json::array{nsp, room, event});
}

cluster::Limits limits(std::size_t max_message_bytes) {
  cluster::Limits limits;
  limits.max_message_bytes = max_message_bytes;
  return limits;
}

std::optional<Message> parse(std::string_view text) {
  return parse(text, limits(std::numeric_limits<std::size_t>::max()));
}

std::optional<Message> parse(std::string_view text, const cluster::Limits& limits,
                             cluster::Bound* crossed) {
  std::optional<json::value> v = parse_object(text, limits, crossed);
  if (!v) return std::nullopt;
  return message_from(v->as_object());
}

std::optional<std::variant<Message, Canary>> parse_any(std::string_view text,
                                                       const cluster::Limits& limits,
                                                       cluster::Bound* crossed) {
  std::optional<json::value> v = parse_object(text, limits, crossed);
  if (!v) return std::nullopt;
  const json::object& o = v->as_object();
  if (o.contains("kind")) {
    if (auto c = canary_from(o)) return *c;
    return std::nullopt;
  }
  if (auto m = message_from(o)) return *m;
  return std::nullopt;
}

std::string log_excerpt(std::string_view text, std::size_t max_bytes) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : text.substr(0, max_bytes)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\') {
      out += c;
      continue;
    }
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

}  // namespace pulseboard::bridge
