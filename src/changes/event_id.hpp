#pragma once
// A change's eventId: "<source>:<position>[:<index>]", stable across restarts, so the same change
// always gets the same id and consumers recognise at-least-once duplicates. The sources format
// it here, and the worker's rollup parses it here to order two versions of one order.
//
//   sqlite:<outbox rowid>
//   postgres:<commit LSN "X/Y">:<index of the row in its transaction>
//   mongo:<resume token _data, or the whole token as JSON>
//   rebuild:<order id>              (a rollup rebuilt from the store, not a change)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard::changes {

std::string sqlite_event_id(std::int64_t outbox_position);
std::string postgres_event_id(std::uint64_t commit_lsn, std::size_t index_in_transaction);
std::string mongo_event_id(std::string_view resume_token);
std::string rebuild_event_id(std::string_view order_id);

// Where a change sits in its source's commit order: position, then index within it.
struct EventOrder {
  std::uint64_t position = 0;
  std::uint64_t index = 0;
};

// The commit order of a SQLite or PostgreSQL eventId; nullopt for ids whose positions do not
// compare (MongoDB resume tokens are opaque, rebuilds have none) and for anything malformed.
std::optional<EventOrder> event_order(std::string_view event_id);

}  // namespace pulseboard::changes
