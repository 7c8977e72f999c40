#pragma once
// The article's change-stream aggregation pipeline as configuration: a small evaluator of the
// `$match` and `$project` stages over change-event documents. Anything else is rejected when
// the pipeline is loaded, so a typo fails at startup instead of silently matching nothing.
//
// Supported: $match with equality on dotted paths, $eq $ne $gt $gte $lt $lte $in $nin $exists,
// and $and/$or of such filters; $project with 1/0 (true/false) inclusion/exclusion and
// "$dotted.path" references.
#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pulseboard::worker {

struct PipelineError {
  std::string message;  // names the stage index and the offending operator
};

class Pipeline {
 public:
  struct Stage {
    enum class Kind { match, project };
    Kind kind;
    boost::json::object spec;
  };

  // JSON text: an array of stages, as passed to collection.watch().
  static std::variant<Pipeline, PipelineError> parse(std::string_view json_text);
  static std::variant<Pipeline, PipelineError> from_value(const boost::json::value& stages);
  // The article's worker.js pipeline.
  static Pipeline article_default();
  static std::string_view article_default_json();

  // nullopt when a $match drops the document; otherwise the document after every stage.
  std::optional<boost::json::object> apply(const boost::json::object& change_event) const;

  const std::vector<Stage>& stages() const { return stages_; }
  boost::json::array to_json() const;
  bool is_article_default() const;

 private:
  std::vector<Stage> stages_;
};

// True when the first stage is a $match part of which a PostgreSQL 15 publication row filter
// can express (equality or $in on top-level order fields) without changing what the pipeline
// selects: its operationType admits exactly insert and update, and no stage looks at
// operationType otherwise (the row filter turns updates that cross it into inserts/deletes).
bool can_push_down_to_postgres(const Pipeline& pipeline);
// The row filter for CREATE PUBLICATION ... WHERE (...); empty when nothing to filter.
// Only meaningful when can_push_down_to_postgres() is true.
std::string postgres_row_filter(const Pipeline& pipeline);

// Publication row filters exist from PostgreSQL 15 (PQserverVersion 150000).
constexpr int kPostgresRowFilterVersion = 150000;
// The row filter the PostgreSQL source puts on its publication: postgres_row_filter() when
// push-down is allowed, can_push_down_to_postgres() and the server has row filters; else empty
// (every row is published and the worker filters).
std::string publication_row_filter(const Pipeline& pipeline, bool push_down, int server_version);

// Resolves a dotted path ("fullDocument.status"); nullptr when any segment is missing.
const boost::json::value* find_path(const boost::json::object& doc, std::string_view path);

}  // namespace pulseboard::worker
