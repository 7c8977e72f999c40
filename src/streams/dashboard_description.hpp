#pragma once
// What GET /api/v1/dashboards answers (docs/streams.md, "Dashboard description"): for each stream
// a viewer may see, the rooms and events to listen to, the snapshot's shape (measures and where
// each appears, the group list) and the panels to draw. Pure functions of the checked
// configuration, so the browser never has to guess what a stream publishes.
#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "streams/stream_config.hpp"

namespace pulseboard::streams {

// The rooms a viewer may join, as the gateway decides joins: nullopt means no restriction
// (no rooms claim, or no authentication at all); a list means exactly those rooms.
using AllowedRooms = std::optional<std::vector<std::string>>;

// The stream's rooms the viewer may join, in the file's order; empty when it may join none.
std::vector<std::string> visible_rooms(const StreamConfig& stream, const AllowedRooms& allowed);

// One stream's description, listing only `rooms` (the visible ones).
boost::json::object describe_stream(const StreamConfig& stream, std::vector<std::string> rooms);

// {"dashboards": [...]}: every stream with at least one room the viewer may join, in file order.
boost::json::object describe_dashboards(const StreamsConfig& config, const AllowedRooms& allowed);

// examples/orders.toml as compiled into the binary: today's orders dashboard, used when no
// stream file is given. Parsed once; a broken built-in file is a build defect (logic_error).
const StreamsConfig& builtin_orders_config();

}  // namespace pulseboard::streams
