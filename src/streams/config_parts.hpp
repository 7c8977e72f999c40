#pragma once
// The readers of a stream's parts, shared by stream_config.cpp: which fields the pipeline
// projects (every field the aggregates or the dashboard name must be one of them), the
// [stream.aggregate] and [stream.dashboard] tables.
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "streams/config_reader.hpp"
#include "streams/stream_config.hpp"

namespace pulseboard::streams::detail {

// The top-level fields of the rows a stream publishes: the keys of the pipeline's last inclusion
// $project, plus what the worker adds to every row (eventId, committedAt, publishedAt). Without
// an inclusion $project no field is known, so naming one is an error that says so.
class Fields {
 public:
  explicit Fields(const pipeline::Pipeline& pipeline);
  // `name` or a dotted path under a projected field.
  bool has(std::string_view name) const;
  std::string listed() const;

  // Reports (and returns false) when `value`, read from `key` of `t`, is not a safe dotted
  // identifier or not projected.
  bool check(ConfigReader& reader, const toml::table& t, const std::string& path,
             std::string_view key, const std::string& value) const;

 private:
  std::set<std::string> names_;
  bool projects_ = false;
};

// `identifier(.identifier)*`
bool is_field_path(std::string_view name);

std::optional<AggregateSpec> read_aggregate(ConfigReader& reader, const toml::table& t,
                                            const std::string& path, const Fields& fields);
std::optional<DashboardSpec> read_dashboard(ConfigReader& reader, const toml::table& t,
                                            const std::string& path, const Fields& fields,
                                            const AggregateSpec* aggregate);

}  // namespace pulseboard::streams::detail
