#pragma once
// Push-down to PostgreSQL: a publication row filter (PostgreSQL 15+) built from the first $match
// stage, so rows the pipeline would drop never leave the server. It knows the columns of the
// orders table (db/schema.hpp) that the change events' fullDocument fields come from.
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.hpp"

namespace pulseboard::pipeline {

// True when the first stage is a $match part of which a PostgreSQL 15 publication row filter
// can express (equality or $in on top-level order fields) without changing what the pipeline
// selects: its operationType admits exactly insert and update, and no stage looks at
// operationType otherwise (the row filter turns updates that cross it into inserts/deletes).
// `table`: the orders table maps the contract's fields (fullDocument.status, .category, .amount,
// ._id) to its columns; any other table maps fullDocument.<column> to the column of that name.
bool can_push_down_to_postgres(const Pipeline& pipeline, std::string_view table = "orders");
// The row filter for CREATE PUBLICATION ... WHERE (...); empty when nothing to filter.
// Only meaningful when can_push_down_to_postgres() is true.
std::string postgres_row_filter(const Pipeline& pipeline, std::string_view table = "orders");

// Publication row filters exist from PostgreSQL 15 (PQserverVersion 150000).
constexpr int kPostgresRowFilterVersion = 150000;
// The row filter the PostgreSQL source puts on its publication: postgres_row_filter() when
// push-down is allowed, can_push_down_to_postgres() and the server has row filters; else empty
// (every row is published and the worker filters).
std::string publication_row_filter(const Pipeline& pipeline, bool push_down, int server_version,
                                   std::string_view table = "orders");
// The row filter of a table several streams follow: their filters OR-ed, or empty (every row)
// as soon as one of them has none.
std::string publication_row_filter(const std::vector<const Pipeline*>& pipelines, bool push_down,
                                   int server_version, std::string_view table);

}  // namespace pulseboard::pipeline
