#pragma once
// What a stream file (docs/streams.md) sets up on the worker's side, for the worker role and
// the demo alike: the streams the worker runs, the tables its change source follows (outbox
// triggers on SQLite, the publication's tables and row filters on PostgreSQL, the collections
// on MongoDB) and the reader the aggregates are rebuilt from.
#include <string>
#include <vector>

#include "changes/change_source.hpp"
#include "streams/stream_config.hpp"
#include "worker/worker.hpp"

namespace pulseboard::app {

struct StreamSources {
  std::string config_path;   // for messages: the file the streams came from
  std::string database_url;  // DATABASE_URL: SQLite, PostgreSQL or MongoDB
  bool rebuild = true;       // keep the table reader for rebuilding the aggregates
};

// Checks the file's tables and columns against the database (a problem prints every error as
// file:line:col: key path: reason and throws: nothing starts half-configured), then fills the
// worker's streams and table reader, the source's tables, and `sqlite_tables` (the tables
// besides orders that get outbox triggers).
void apply_stream_file(const streams::StreamsConfig& config, const StreamSources& where,
                       worker::Worker::Options& worker, changes::SourceOptions& source,
                       std::vector<std::string>& sqlite_tables);

}  // namespace pulseboard::app
