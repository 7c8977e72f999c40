#pragma once
// A pgoutput row (text-format column values plus the cached Relation) as the order document of
// the data-path contract: `id` becomes `_id`, snake_case columns become camelCase, numbers
// become JSON numbers, timestamps become ISO-8601 UTC strings.
#include <boost/json.hpp>

#include "changes/pgoutput_decoder.hpp"

namespace pulseboard::changes {

// The orders table takes the data-path contract's names (`id` as `_id`, camelCase); every other
// table keeps its columns' own names, as the stream file refers to them.
bool contract_names(std::string_view table);

// old_row (REPLICA IDENTITY FULL) supplies values that pgoutput marks unchanged-TOAST; such a
// column without an old value is left out rather than guessed.
boost::json::object document_from_row(const pgoutput::Relation& relation,
                                      const pgoutput::Tuple& row,
                                      const pgoutput::Tuple* old_row = nullptr,
                                      bool own_names = false);

// documentKey._id of a row's change: `_id` under the contract's names, `id` under its own, else
// null (the stream's projected key names the row then).
boost::json::value document_key(const boost::json::object& full, bool own_names);

// An insert or update of `table` as the change-event document the PostgreSQL source produces.
boost::json::object change_document(std::string_view table, std::string_view position,
                                    std::string_view operation, boost::json::object full,
                                    bool own_names, std::string_view database,
                                    std::int64_t committed_at_ms);

}  // namespace pulseboard::changes
