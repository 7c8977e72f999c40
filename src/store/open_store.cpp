// DATABASE_URL → store implementation.
#include <stdexcept>

#include "db/database_url.hpp"
#include "store/order_store.hpp"

namespace pulseboard::store {

std::unique_ptr<OrderStore> open_store(std::string_view url) {
  auto parsed = db::parse_database_url(url);
  if (auto* err = std::get_if<db::DatabaseUrlError>(&parsed))
    throw std::invalid_argument(err->message);
  auto& target = std::get<db::DatabaseUrl>(parsed);
  switch (target.backend) {
    case db::Backend::sqlite:
      return open_sqlite_store(target.target);
    case db::Backend::postgres:
      return open_postgres_store(target.target);
    case db::Backend::mongo:
      return open_mongo_store(target.target);
  }
  throw std::invalid_argument("DATABASE_URL names no known backend");
}

}  // namespace pulseboard::store
