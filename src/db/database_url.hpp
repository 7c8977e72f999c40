#pragma once
// DATABASE_URL, read once for every role: the API's order store and the worker's change source
// open the same database for the same URL, and refuse the same URLs with the same message.
//
//   sqlite:relative/file.db      a file relative to the working directory
//   sqlite:///absolute/file.db   an absolute path (the URL form: empty host, then the path)
//   sqlite::memory:              a private in-memory database (tests only)
//   postgresql://... postgres://...          libpq connection URI
//   mongodb://... mongodb+srv://...          MongoDB connection string
//
// sqlite://name.db is refused: in URL terms `name.db` is a host, which SQLite has not, and
// reading it as a relative file would silently open a different file than the author meant.
#include <string>
#include <string_view>
#include <variant>

namespace pulseboard::db {

enum class Backend { sqlite, postgres, mongo };

struct DatabaseUrl {
  Backend backend = Backend::sqlite;
  // SQLite: the file path. PostgreSQL and MongoDB: the URL itself (their clients parse it).
  std::string target;
};

// A refusal; `message` says what is wrong and which forms are accepted.
struct DatabaseUrlError {
  std::string message;
};

std::variant<DatabaseUrl, DatabaseUrlError> parse_database_url(std::string_view url);

std::string_view to_string(Backend backend);  // "sqlite" | "postgres" | "mongo"

}  // namespace pulseboard::db
