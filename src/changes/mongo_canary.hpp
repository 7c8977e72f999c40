#pragma once
// The MongoDB side of the delivery canary (docs/operations.md), kept apart from
// change_source_mongo.cpp so the commands it sends are unit-tested without a server: the
// heartbeat upsert the leader writes, and the change stream's pipeline that lets that
// heartbeat through beside the followed collection.
#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.hpp"

namespace pulseboard::changes {

// The `update` command that upserts this worker's heartbeat document
// `{_id: writer_id, at: Date(now_ms)}` in kMongoCanaryCollection (canonical Extended JSON).
// One document per worker, written again each time: the collection never grows with time.
boost::json::object mongo_canary_command(std::string_view writer_id, std::int64_t now_ms);

// The reason a write command's reply says it failed (ok: 0, writeErrors, writeConcernError);
// nullopt when it was applied.
std::optional<std::string> mongo_write_reply_error(const boost::json::object& reply);

// The pipeline of the database-level change stream the source opens: only `collections` and
// kMongoCanaryCollection, then (with push_down) the worker's pipeline, rewritten so a canary
// passes every $match and keeps its `ns` through a $project (the decoder recognises it by
// ns.coll). Without push_down, the worker runs its pipeline itself on what arrives.
boost::json::array mongo_watch_pipeline(const pipeline::Pipeline& pipeline, bool push_down,
                                        const std::vector<std::string>& collections);

// Who this worker is in the heartbeat collection: the host name (a pod's name), or
// "pulseboard-worker" when it has none.
std::string mongo_canary_writer_id();

}  // namespace pulseboard::changes
