#pragma once
// Start-up checks of a stream file against the database (docs/streams.md, "Start-up checks"):
// every table a stream follows exists, and every column its pipeline names exists in that table.
// The worker refuses to start otherwise, each problem reported as the file's own errors are
// (`file:line:column: key path: reason`), before anything is started.
#include <string>
#include <vector>

#include "changes/table_reader.hpp"
#include "pipeline/pipeline.hpp"
#include "streams/stream_config.hpp"

namespace pulseboard::worker {

// The source columns a pipeline names: `fullDocument.<column>...` keys of its $match stages (at
// any depth of $and/$or/$nor) and `"$fullDocument.<column>..."` references of its $project
// stages; each once, in first-seen order.
std::vector<std::string> columns_named(const pipeline::Pipeline& pipeline);

// Every problem of `config` against the tables `reader` sees. The `orders` table is not checked:
// it is the store's own (created by whichever role starts first), read under its contract names.
std::vector<streams::ConfigError> check_stream_tables(const streams::StreamsConfig& config,
                                                      changes::TableReader& reader);

}  // namespace pulseboard::worker
