// DATABASE_URL → store implementation.
#include "store/order_store.hpp"

#include <stdexcept>

namespace pulseboard::store {

std::unique_ptr<OrderStore> open_store(std::string_view url) {
  auto starts = [&](std::string_view prefix) { return url.starts_with(prefix); };
  if (url.empty())
    throw std::invalid_argument(
        "DATABASE_URL is empty: expected sqlite:<file>, postgresql://... or mongodb://...");
  if (starts("sqlite:")) {
    std::string_view path = url.substr(7);
    if (path.starts_with("//")) {
      // sqlite:///abs/path is the URL form; sqlite://host/... names a host, which SQLite has not.
      path.remove_prefix(2);
      if (!path.starts_with('/'))
        throw std::invalid_argument("DATABASE_URL '" + std::string(url) +
                                    "': use sqlite:///absolute/path.db or sqlite:relative.db");
    }
    if (path.empty() || path == "/")
      throw std::invalid_argument("DATABASE_URL '" + std::string(url) + "' names no file");
    return open_sqlite_store(std::string(path));
  }
  if (starts("postgresql://") || starts("postgres://"))
    return open_postgres_store(std::string(url));
  if (starts("mongodb://") || starts("mongodb+srv://")) return open_mongo_store(std::string(url));
  const auto colon = url.find(':');
  throw std::invalid_argument(
      "DATABASE_URL scheme '" + std::string(url.substr(0, colon == url.npos ? url.size() : colon)) +
      "' is not supported: expected sqlite:<file>, postgresql://... or mongodb://...");
}

}  // namespace pulseboard::store
