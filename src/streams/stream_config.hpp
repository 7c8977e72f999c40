#pragma once
// The stream configuration file (docs/streams.md): any number of live dashboards, each over one
// table or collection, declared in TOML. load_config()/parse_config() return either a complete,
// checked configuration or every problem found, each naming the file, line:column, key path and
// reason, so nothing ever runs half-configured.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pipeline/pipeline.hpp"

namespace pulseboard::streams {

// Every bound of the format. The file is written by an operator, but a stream's memory and the
// size of its snapshot follow from these numbers, so each is checked when the file is read.
namespace limits {
inline constexpr std::size_t max_streams = 32;
inline constexpr std::size_t max_rooms = 8;
inline constexpr std::size_t max_name_bytes = 128;  // room and event names
inline constexpr std::size_t max_measures = 16;
inline constexpr std::size_t max_required = 16;
inline constexpr std::size_t max_top = 200;          // groups listed in the snapshot
inline constexpr std::size_t max_groups = 10'000;    // distinct groups kept per stream
inline constexpr std::size_t max_group_bytes = 256;  // longer group values are cut
inline constexpr std::size_t max_recent = 200;
inline constexpr std::size_t max_rows = 1'000'000;  // rows counted in the window
inline constexpr std::size_t max_buckets = 1440;    // window / interval
inline constexpr std::int64_t min_interval_ms = 100;
inline constexpr std::int64_t max_window_ms = 7LL * 24 * 3600 * 1000;
inline constexpr std::size_t max_panels = 24;
inline constexpr std::size_t max_columns = 16;
inline constexpr std::size_t max_pipeline_bytes = 64 * 1024;
inline constexpr std::size_t max_file_bytes = 1024 * 1024;
}  // namespace limits

enum class MeasureOp { count, sum, avg, min, max };

// One value of the snapshot. `count` counts rows; the others fold one projected numeric field
// (rows where it is missing or not a number do not enter that measure).
struct Measure {
  std::string name;  // its key in the snapshot's objects
  MeasureOp op = MeasureOp::count;
  std::string field;  // empty for count
  // Where the measure appears: the totals object, each series entry, each group entry.
  bool in_totals = true;
  bool in_series = true;
  bool in_groups = true;
};

struct GroupSpec {
  std::string field;            // projected field whose value names the group
  std::string list = "groups";  // the snapshot's key for the ranked list
  std::string label;            // each entry's key for the group's name; default: field
  std::size_t top = 10;         // entries listed, ranked by `rank_by` descending
  std::string rank_by;          // a measure name; default: the first measure
  // Distinct groups held at once across the window; rows of further groups count under `other`.
  std::size_t max_groups = 1000;
  std::string other = "(other)";
};

struct AggregateSpec {
  std::string time_field;  // ISO-8601 text or epoch-ms number; else the commit time
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds window{300000};
  std::size_t recent = 12;
  // Rows counted inside the window at once (each holds its key's state and one value per
  // min/max field); past it a new row only enters `recent` until intervals slide out.
  std::size_t max_rows = 200'000;
  std::vector<std::string> required;  // rows where one of these is not a number are ignored
  std::vector<Measure> measures;
  std::optional<GroupSpec> group;
};

enum class PanelKind { kpi, timeseries, breakdown, table };

struct Panel {
  PanelKind kind = PanelKind::kpi;
  std::string title;
  std::string measure;               // kpi, timeseries, breakdown
  std::string format = "number";     // number, integer, currency, percent
  std::string unit;                  // shown beside the value ("USD", "ms")
  std::vector<std::string> columns;  // table: projected fields shown
};

struct DashboardSpec {
  std::string title;
  std::vector<Panel> panels;
};

// Where a key's value starts in the file (1-based), for errors found after parsing.
struct Where {
  std::int64_t line = 1;
  std::int64_t column = 1;
};

struct StreamConfig {
  std::string name;
  Where source_at;         // of `source`: a table the database does not have is reported there
  Where pipeline_at;       // of `pipeline`: a column the table does not have is reported there
  std::string source;      // table (optionally schema.table) or collection
  std::string key = "id";  // projected field holding the row's primary key
  pipeline::Pipeline pipeline;
  std::vector<std::string> rooms;
  std::string event;
  std::string snapshot_event;
  std::optional<AggregateSpec> aggregate;
  std::optional<DashboardSpec> dashboard;
};

struct StreamsConfig {
  std::string file;
  std::vector<StreamConfig> streams;
};

struct ConfigError {
  std::string file;
  std::int64_t line = 0;
  std::int64_t column = 0;
  std::string path;  // dotted key path, e.g. stream[0].aggregate.measure[1].field
  std::string reason;
  // "file:line:column: path: reason"
  std::string to_string() const;
};

using ConfigResult = std::variant<StreamsConfig, std::vector<ConfigError>>;

ConfigResult parse_config(std::string_view text, std::string_view file_name);
ConfigResult load_config(const std::string& path);

// `[A-Za-z_][A-Za-z0-9_]{0,62}`, the names that may appear in SQL unquoted.
bool is_identifier(std::string_view name);
// An identifier, or schema.identifier.
bool is_source_name(std::string_view name);

}  // namespace pulseboard::streams
