#pragma once
// Rebuilding the rollup from the database (docs/snapshots.md): when a worker starts leading, and
// after a source lost its history, the aggregates are recomputed from the orders themselves
// instead of starting empty, so a dashboard's totals do not go backwards.
//
// Each order is read through the store seam, turned into the change event an insert of it
// would be, and put through the same pipeline as the live stream, so a custom pipeline selects
// and projects the same way. The rollup buckets by the projected `time` (the order's createdAt),
// which is what the store's time range filters on.
#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "pipeline/pipeline.hpp"
#include "store/order_store.hpp"

namespace pulseboard::worker {

struct RollupHistory {
  // metrics-update data objects (eventId "rebuild:<id>", committedAt = the order's updatedAt),
  // oldest createdAt first: the matching orders created at or after from_ms, plus the `recent`
  // newest matching orders even when older.
  std::vector<boost::json::object> updates;
  std::vector<std::string> ids;  // the order id of each of `updates`
  // updatedAt (unix ms) of every order in `updates`, by id: a change the source replays after the
  // rebuild is already counted when it is not newer than this.
  std::unordered_map<std::string, std::int64_t> updated_at;
  bool truncated = false;  // more than `limit` orders in the window; the oldest are missing
};

struct HistoryError {
  store::StoreError error;
};

// Reads pages of `page_size` through OrderStore::list. When the pipeline's first $match fixes
// fullDocument.status to one value, only that status is listed (the article's "completed");
// otherwise every order is listed and the pipeline decides.
std::variant<RollupHistory, HistoryError> read_rollup_history(
    store::OrderStore& store, const pipeline::Pipeline& pipeline, std::int64_t from_ms,
    std::size_t recent, std::int64_t published_at_ms, std::size_t limit = 200'000,
    std::size_t page_size = 1000);

// The change event an insert of `order` would produce (the data-path contract's document).
boost::json::object change_event_of(const store::Order& order);

}  // namespace pulseboard::worker
