#pragma once
// The article's change-stream aggregation pipeline as configuration: a small evaluator of the
// `$match` and `$project` stages over change-event documents. Anything else is rejected when
// the pipeline is loaded, so a typo fails at startup instead of silently matching nothing.
//
// Supported: $match with equality on dotted paths, $eq $ne $gt $gte $lt $lte $in $nin $exists,
// and $and/$or of such filters; $project with 1/0 (true/false) inclusion/exclusion and
// "$dotted.path" references. Push-down of (part of) a pipeline into a database lives beside it:
// pushdown_postgres.hpp, pushdown_mongo.hpp.
#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pulseboard::pipeline {

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

// Helpers the push-downs share with the evaluator.
// True for a non-empty object whose keys are all operators ({"$in": [...]}).
bool is_operator_object(const boost::json::value& v);
// The value of a JSON number as a double; nullopt for anything else.
std::optional<double> as_number(const boost::json::value& v);

// Resolves a dotted path ("fullDocument.status"); nullptr when any segment is missing.
const boost::json::value* find_path(const boost::json::object& doc, std::string_view path);

}  // namespace pulseboard::pipeline
