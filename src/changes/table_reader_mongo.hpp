#pragma once
// Reading a followed MongoDB collection directly, for rebuilding a stream's aggregates when
// leading starts (docs/streams.md, "Rebuild"): its newest documents by the stream's time field,
// each as the change event an insert of that document decodes to (mongo_change_decoder.hpp), so
// a rebuilt document and its streamed change are one row to the aggregates. Collections have no
// declared columns, so MongoDB has no start-up checks: columns() answers an empty list, which
// worker::check_stream_tables skips. The pure parts (the find options, a document as its insert
// change) are apart from the libmongoc calls so they are unit-tested without a server.
#include <boost/json.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "changes/change_event.hpp"
#include "changes/table_reader.hpp"

namespace pulseboard::changes {

// Where a stream's `source` is read: `db.coll` names its database, a bare name is in
// `default_database` (the connection string's, as the change source picks it).
struct MongoNamespace {
  std::string db;
  std::string coll;
};
MongoNamespace mongo_namespace(std::string_view source, std::string_view default_database);

// The options of the rebuild's `find` (empty filter): {sort: {field: -1}, limit}. The sort wants
// an index on the field on a large collection.
boost::json::object mongo_newest_find_options(std::string_view field, std::size_t limit);

// `document` (relaxed Extended JSON, as libmongoc renders it) as the change-stream document of
// its insert: {_id: token, operationType: "insert", fullDocument, documentKey: {_id}, ns}.
boost::json::object mongo_insert_change_of(const boost::json::object& document,
                                           const MongoNamespace& ns);

// That change decoded exactly as the change source decodes it, at position "rebuild" with
// committedAt 0 like the SQL readers' rows. Null when the document has no `_id`.
std::optional<ChangeEvent> mongo_rebuild_event(const boost::json::object& document,
                                               const MongoNamespace& ns);

// A reader over the database of `uri` (mongodb:// or mongodb+srv://); connects lazily.
std::unique_ptr<TableReader> make_mongo_table_reader(std::string uri);

}  // namespace pulseboard::changes
