#pragma once
// Reading a followed table directly (docs/streams.md, "Start-up checks" and "Rebuild"): which
// columns it has, for the worker's start-up checks, and its newest rows as the change events an
// insert of each would be, for rebuilding a stream's aggregates when leading starts. The events
// have exactly the shape the change source gives the same row (same key, same field names and
// types), so a rebuilt row and its streamed change are one row to the aggregates.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "changes/change_event.hpp"

namespace pulseboard::changes {

class TableReader {
 public:
  virtual ~TableReader() = default;
  // nullopt once the database answers; why not otherwise (the server is not up yet).
  virtual std::optional<std::string> reachable() = 0;
  // The table's columns in table order; an error naming why when it does not exist ("table 'x'
  // does not exist") or cannot be read. `table` may be schema-qualified on PostgreSQL. Empty:
  // the table declares no columns (a MongoDB collection), nothing to check.
  virtual std::variant<std::vector<std::string>, std::string> columns(const std::string& table) = 0;
  // At most `limit` rows with the largest `order_column` (the stream's time column), newest
  // first, as insert change events (position "rebuild", committedAt 0).
  virtual std::variant<std::vector<ChangeEvent>, std::string> newest(
      const std::string& table, const std::string& order_column, std::size_t limit) = 0;
};

// SQLite (`sqlite:`), PostgreSQL (`postgresql://`) or MongoDB (`mongodb://`,
// table_reader_mongo.hpp); null with *error for a bad URL.
std::unique_ptr<TableReader> open_table_reader(std::string_view database_url, std::string* error);

}  // namespace pulseboard::changes
