#include "changes/change_source.hpp"

#include "changes/sqlite_outbox_triggers.hpp"
#include "db/database_url.hpp"

namespace pulseboard::changes {

std::unique_ptr<ChangeSource> open_change_source(std::string_view url, const SourceOptions& options,
                                                 std::string* error) {
  auto parsed = db::parse_database_url(url);
  if (auto* refused = std::get_if<db::DatabaseUrlError>(&parsed)) {
    if (error) *error = refused->message;
    return nullptr;
  }
  auto& target = std::get<db::DatabaseUrl>(parsed);
  switch (target.backend) {
    case db::Backend::sqlite:
      return make_sqlite_source(target.target, options);
    case db::Backend::postgres:
      return make_postgres_source(target.target, options);
    case db::Backend::mongo:
      return make_mongo_source(target.target, options);
  }
  return nullptr;
}

std::unique_ptr<ChangeSource> open_change_source(std::string_view url, const SourceOptions& options,
                                                 std::vector<std::string> tables,
                                                 std::string* error) {
  auto parsed = db::parse_database_url(url);
  if (auto* target = std::get_if<db::DatabaseUrl>(&parsed);
      target && target->backend == db::Backend::sqlite)
    return make_sqlite_source(target->target, options, std::move(tables));
  return open_change_source(url, options, error);
}

}  // namespace pulseboard::changes
