#pragma once
// The bridge message: the one contract between the worker and the gateways, JSON text
// `{room, event, data?, retain?, nsp?}` published on the bridge channel (`socket-io-bridge` by
// default), with `data.eventId` as the change's position. The worker writes it with to_json;
// every reader (the gateway's live bridge, the publish endpoint, retained messages read back
// from the broker) reads it with parse, so all of them accept exactly the same messages.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "cluster/limits.hpp"

namespace pulseboard::bridge {

// Every member has a default, so callers name only what they set (`{.room = r, .event = e}`).
struct Message {
  std::string nsp = "/";  // written only when it is not "/"
  std::string room{};
  std::string event{};
  bool retain = false;
  std::string args{};  // `data` as JSON text, the EVENT's argument ("" when absent)
  // `data.eventId` when it is a string of 1 to kMaxOffset bytes (the worker's database change
  // position): the connection state recovery offset. Empty otherwise. Read by parse; to_json
  // ignores it (the offset travels inside `data`).
  std::string offset{};
  // `data.committedAt` when it is a whole number of milliseconds since the epoch in
  // (0, kMaxTimeMs]: when the change committed in the database. 0 otherwise. Read by parse.
  std::int64_t committed_at_ms = 0;
  static constexpr std::size_t kMaxOffset = 256;
};

// The delivery canary (docs/operations.md): `{"kind":"canary","committedAt":ms,"publishedAt":ms}`,
// a heartbeat the leading worker wrote through its database and read back from the change
// stream. Never delivered to sockets: a gateway only notes that it arrived. A gateway that
// predates it refuses it as malformed (no room, no event), counts it on
// pulseboard_bridge_messages_invalid_total and delivers nothing.
struct Canary {
  std::int64_t committed_at_ms = 0;  // when the heartbeat committed in the database
  std::int64_t published_at_ms = 0;  // when the worker published it
};
inline constexpr std::string_view kCanaryKind = "canary";
// Timestamps past this (year 2286) are not believed: the numbers stay exact in a double.
inline constexpr std::int64_t kMaxTimeMs = 9'999'999'999'999;
std::string to_json(const Canary& c);

// The message as JSON text, keys in the order `room, event, [nsp], [retain], [data]` (`nsp` when
// not "/", `retain` only when true, `data` unless `args` is empty). `args` is copied as is:
// it must be JSON text.
std::string to_json(const Message& m);

// The name a retained message is stored under within its channel: one per (nsp, room, event).
// JSON array text, so no name can collide.
std::string retained_field(std::string_view nsp, std::string_view room, std::string_view event);
inline std::string retained_field(const Message& m) {
  return retained_field(m.nsp, m.room, m.event);
}

// The bridge channel's default size bound: the publish endpoint's largest body, so whatever it
// accepts goes through the bridge too. The worker's messages are a few KB at most.
inline constexpr std::size_t kDefaultMaxMessage = 1024 * 1024;

// Bounds for a message read from the bridge channel, which anything that can PUBLISH on the
// broker writes to: max_message_bytes (checked before parsing), the adapters' max_values and
// the nesting depth of cluster::fields::parse_json (64). The other fields are not used.
cluster::Limits limits(std::size_t max_message_bytes = kDefaultMaxMessage);

// nullopt if the text is past one of `limits` (the bound crossed is written to `crossed`, when
// given) or is not a JSON object with a string `room` and a non-empty string `event` (then
// `crossed` stays Bound::none). Nothing is parsed when the text is past the size bound.
std::optional<Message> parse(std::string_view text, const cluster::Limits& limits,
                             cluster::Bound* crossed = nullptr);
// The same within limits() except the size, which the callers bound: the publish endpoint's
// body limit, and the bridge subscription before it delivers (gateway/bridge_intake).
std::optional<Message> parse(std::string_view text);

// A live bridge message of either kind, parsed once within `limits`: a message with a `kind`
// member is a canary when it is "canary" with a valid `committedAt` (and is refused otherwise);
// any other is read as parse reads it. nullopt and `crossed` as for parse.
std::optional<std::variant<Message, Canary>> parse_any(std::string_view text,
                                                       const cluster::Limits& limits,
                                                       cluster::Bound* crossed = nullptr);

// `text` cut to `max_bytes` for a log line, with every byte that is not printable ASCII (line
// breaks, escape sequences, bytes of UTF-8) and the backslash written as \xNN: a hostile
// publisher cannot forge or garble log lines.
std::string log_excerpt(std::string_view text, std::size_t max_bytes = 120);

}  // namespace pulseboard::bridge
