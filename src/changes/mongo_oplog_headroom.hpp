#pragma once
// How much oplog is left behind the MongoDB source's stored resume token (docs/operations.md,
// "MongoDB: the oplog window"). The oplog is a capped collection: once its oldest entry is
// newer than the token, a restart cannot resume and must resnapshot. The headroom is the oplog
// time between that oldest entry and the token's cluster time: at the current write rate,
// about how long before the token falls off. Pure functions over the server's replies, so they
// are unit-tested against recorded ones.
#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace pulseboard::changes {

// The command, run on the `local` database, that reads the oplog's oldest entry: its time, and
// its message, which tells a replica set whose oplog never wrapped (the entry is still the one
// written when the set was initiated).
boost::json::object oplog_first_entry_command();

// Seconds since the epoch of a resume token's cluster time. The token's `_data` is a hex
// KeyString whose first value is that Timestamp: type byte 0x82, then its seconds and its
// increment as big-endian 32-bit words. nullopt for any other shape.
std::optional<std::int64_t> resume_token_seconds(std::string_view token_json);

struct OplogHeadroom {
  double seconds = 0;  // token time minus the oldest entry's time; <= 0: the token is gone
  // False while the oplog never wrapped (no entry was ever removed): the headroom is then only
  // a lower bound that grows with time, and no threshold applies to it.
  bool bounded = true;
};

// From the stored token (JSON) and the reply of oplog_first_entry_command(); nullopt when
// either does not say (no token yet, empty oplog, an error reply).
std::optional<OplogHeadroom> oplog_headroom(std::string_view token_json,
                                            const boost::json::object& first_entry_reply);

}  // namespace pulseboard::changes
