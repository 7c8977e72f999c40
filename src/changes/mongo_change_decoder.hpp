#pragma once
// Pure decoding of MongoDB change-stream documents (Extended JSON as libmongoc renders them)
// into ChangeEvents, and the mapping of server errors to SourceError. Kept apart from
// change_source_mongo.cpp so it is unit-tested against recorded documents without a server.
#include <boost/json.hpp>

#include <cstdint>
#include <string_view>
#include <variant>

#include "changes/change_event.hpp"
#include "changes/change_source.hpp"

namespace pulseboard::changes {

// Extended JSON (relaxed or canonical) to the plain JSON of the data-path contract: dates to
// ISO-8601 strings, $numberDouble/$numberInt/$numberLong to numbers, $oid to its hex string.
// Other wrappers ($timestamp, $binary, ...) are kept as they are.
boost::json::value plain_from_extended_json(const boost::json::value& v);

// The collection of the delivery canary's heartbeat document (docs/operations.md): a change
// there is a canary, not an order, whatever its shape.
inline constexpr std::string_view kMongoCanaryCollection = "pulseboard_canary";

// One change-stream document. `projected` says the pipeline ran server-side, so the document
// is the projection (plus `_id`, the resume token, `clusterTime`/`wallTime` that the source
// keeps for committedAt and `ns` that it keeps to tell the canary, all three left out) rather
// than the change-event shape.
// `invalidate` and documents without a resume token become SourceError::resnapshot_needed.
// A change in kMongoCanaryCollection becomes a ChangeEvent with `canary` set and no document.
std::variant<ChangeEvent, SourceError> decode_mongo_change(const boost::json::object& doc,
                                                           bool projected);

// Server error codes worth naming.
constexpr std::int32_t kMongoChangeStreamFatalError = 280;
constexpr std::int32_t kMongoChangeStreamHistoryLost = 286;
constexpr std::int32_t kMongoInvalidResumeToken = 260;

// history lost / fatal / invalid resume token -> resnapshot_needed; anything else ->
// unavailable (network, elections, "only supported on replica sets", ...).
SourceError mongo_error_to_source_error(std::int32_t code, std::string_view message);
// The same from a server reply document ({ok:0, code, errmsg, ...}).
SourceError mongo_error_reply_to_source_error(const boost::json::object& reply);

}  // namespace pulseboard::changes
