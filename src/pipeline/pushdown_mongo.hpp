#pragma once
// Push-down to MongoDB: the change stream runs the pipeline on the server (collection.watch),
// so only the changes it selects, already projected, cross the network.
#include <boost/json.hpp>

#include "pipeline/pipeline.hpp"

namespace pulseboard::pipeline {

// The stages the server runs. An inclusion $project also keeps clusterTime and wallTime so
// committedAt survives the projection (the change decoder strips them again).
boost::json::array mongo_server_pipeline(const Pipeline& pipeline);

// True when some stage is a $project: the server then sends projected documents instead of the
// change-event shape.
bool has_project(const Pipeline& pipeline);

}  // namespace pulseboard::pipeline
