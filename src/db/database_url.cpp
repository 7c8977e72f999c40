#include "db/database_url.hpp"

namespace pulseboard::db {
namespace {

constexpr std::string_view kForms = "expected sqlite:<file>, postgresql://... or mongodb://...";

DatabaseUrlError refuse(std::string message) {
  return DatabaseUrlError{std::move(message)};
}

std::variant<DatabaseUrl, DatabaseUrlError> sqlite_url(std::string_view url) {
  std::string_view path = url.substr(std::string_view("sqlite:").size());
  if (path.starts_with("//")) {
    // sqlite:///abs/path is the URL form; sqlite://host/... names a host, which SQLite has not.
    path.remove_prefix(2);
    if (!path.starts_with('/'))
      return refuse("DATABASE_URL '" + std::string(url) +
                    "': use sqlite:///absolute/path.db or sqlite:relative.db");
  }
  if (path.empty() || path == "/")
    return refuse("DATABASE_URL '" + std::string(url) + "' names no file");
  return DatabaseUrl{Backend::sqlite, std::string(path)};
}

}  // namespace

std::variant<DatabaseUrl, DatabaseUrlError> parse_database_url(std::string_view url) {
  auto starts = [&](std::string_view prefix) { return url.starts_with(prefix); };
  if (url.empty()) return refuse("DATABASE_URL is empty: " + std::string(kForms));
  if (starts("sqlite:")) return sqlite_url(url);
  if (starts("postgresql://") || starts("postgres://"))
    return DatabaseUrl{Backend::postgres, std::string(url)};
  if (starts("mongodb://") || starts("mongodb+srv://"))
    return DatabaseUrl{Backend::mongo, std::string(url)};
  const auto colon = url.find(':');
  return refuse("unsupported database URL: scheme '" +
                std::string(url.substr(0, colon == url.npos ? url.size() : colon)) +
                "' is not supported (" + std::string(kForms) + ")");
}

std::string_view to_string(Backend backend) {
  switch (backend) {
    case Backend::sqlite:
      return "sqlite";
    case Backend::postgres:
      return "postgres";
    case Backend::mongo:
      return "mongo";
  }
  return "sqlite";
}

}  // namespace pulseboard::db
