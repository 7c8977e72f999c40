#pragma once
// The databases a store contract test runs against: SQLite always (a temp file), PostgreSQL
// when PULSEBOARD_DATABASE_URL is set, MongoDB when PULSEBOARD_MONGO_URI is set. Shared by
// the store and API tests.
#include "common/ids.hpp"
#include "store/order_store.hpp"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace pulseboard::store::testing {

inline const std::string kBackends[] = {"sqlite", "postgres", "mongo"};

// A temp SQLite file removed (with its WAL files) when this goes away.
class TempSqliteFile {
 public:
  TempSqliteFile()
      : path_((std::filesystem::temp_directory_path() /
               ("pulseboard-test-" + random_token(10) + ".db"))
                  .string()) {}
  ~TempSqliteFile() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Opens `backend` or explains in `skip` why it cannot run here.
inline std::unique_ptr<OrderStore> open_backend(const std::string& backend,
                                                std::unique_ptr<TempSqliteFile>& file,
                                                std::string& skip) {
  if (backend == "sqlite") {
    file = std::make_unique<TempSqliteFile>();
    return open_store("sqlite:" + file->path());
  }
  const char* env = backend == "postgres" ? "PULSEBOARD_DATABASE_URL" : "PULSEBOARD_MONGO_URI";
  const char* url = std::getenv(env);
  if (!url || !*url) {
    skip = std::string(env) + " is not set: " + backend +
           " variant skipped (scripts/lib/postgres.sh pg_start sets the PostgreSQL one)";
    return nullptr;
  }
  return open_store(url);
}

// Every test works in its own category, so tests sharing one database never see each
// other's orders.
inline std::string unique_category() {
  return "test-" + random_token(12);
}

}  // namespace pulseboard::store::testing
