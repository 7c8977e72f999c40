#pragma once
// A pgoutput row (text-format column values plus the cached Relation) as the order document of
// the data-path contract: `id` becomes `_id`, snake_case columns become camelCase, numbers
// become JSON numbers, timestamps become ISO-8601 UTC strings.
#include <boost/json.hpp>

#include "changes/pgoutput_decoder.hpp"

namespace pulseboard::changes {

// old_row (REPLICA IDENTITY FULL) supplies values that pgoutput marks unchanged-TOAST; such a
// column without an old value is left out rather than guessed.
boost::json::object document_from_row(const pgoutput::Relation& relation,
                                      const pgoutput::Tuple& row,
                                      const pgoutput::Tuple* old_row = nullptr);

}  // namespace pulseboard::changes
