#pragma once
// One row of a change stream, in the shape MongoDB documents change events (the data-path
// contract): every source converts its native record into this so the pipeline and the
// publisher never know which database they follow.
#include <boost/json.hpp>

#include <cstdint>
#include <string>

namespace pulseboard::changes {

struct ChangeEvent {
  // Source position as text: SQLite outbox rowid, PostgreSQL commit LSN "X/Y", MongoDB resume
  // token (its `_id` document as JSON). Acknowledging it makes everything up to it durable.
  std::string position;
  // "<source>:<position>[:<index>]" (event_id.hpp), stable across restarts: the same change
  // always gets the same id, so consumers can recognise at-least-once duplicates.
  std::string event_id;
  // {"_id":{"position":..}, "operationType":.., "fullDocument":{..}, "committedAt":ms}
  boost::json::object document;
  std::int64_t committed_at_ms = 0;
  // The table (collection) the change is of, as the stream file names it (`schema.table` when
  // the source knows the schema); the worker routes the change to the streams of that table.
  // Empty: the source does not say (every stream takes it).
  std::string table;
  // A delivery canary (ChangeSource::emit_canary) read back from the stream, not a change of the
  // data: the worker acknowledges its position but never runs it through the pipeline, the
  // aggregates or the data path's messages. `document` is empty.
  bool canary = false;
};

}  // namespace pulseboard::changes
