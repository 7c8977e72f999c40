#include "db/database_url.hpp"

#include <gtest/gtest.h>

namespace pulseboard::db {
namespace {

std::string sqlite_path(std::string_view url) {
  auto parsed = parse_database_url(url);
  auto* ok = std::get_if<DatabaseUrl>(&parsed);
  if (!ok || ok->backend != Backend::sqlite) return "<not sqlite>";
  return ok->target;
}

std::string refusal(std::string_view url) {
  auto parsed = parse_database_url(url);
  auto* err = std::get_if<DatabaseUrlError>(&parsed);
  return err ? err->message : "<accepted>";
}

TEST(SqliteUrl, ParsesTheContractForms) {
  EXPECT_EQ(sqlite_path("sqlite:///tmp/a.db"), "/tmp/a.db");
  EXPECT_EQ(sqlite_path("sqlite:pulseboard.db"), "pulseboard.db");
  EXPECT_EQ(sqlite_path("sqlite:/tmp/a.db"), "/tmp/a.db");
  EXPECT_EQ(sqlite_path("sqlite::memory:"), ":memory:");
  EXPECT_EQ(sqlite_path("postgresql://x"), "<not sqlite>");
}

TEST(DatabaseUrl, NamesTheBackendAndKeepsServerUrlsWhole) {
  for (auto [url, backend] : {std::pair{"postgresql://u@h:5432/db", Backend::postgres},
                              std::pair{"postgres://h/db", Backend::postgres},
                              std::pair{"mongodb://h:27017/db?replicaSet=rs0", Backend::mongo},
                              std::pair{"mongodb+srv://cluster.example/db", Backend::mongo}}) {
    auto parsed = parse_database_url(url);
    ASSERT_TRUE(std::holds_alternative<DatabaseUrl>(parsed)) << url;
    EXPECT_EQ(std::get<DatabaseUrl>(parsed).backend, backend) << url;
    EXPECT_EQ(std::get<DatabaseUrl>(parsed).target, url);
  }
}

TEST(DatabaseUrl, RefusalsSayWhatIsWrong) {
  EXPECT_NE(refusal("").find("empty"), std::string::npos);
  EXPECT_NE(refusal("mysql://localhost/db").find("'mysql' is not supported"), std::string::npos);
  EXPECT_NE(refusal("garbage").find("'garbage' is not supported"), std::string::npos);
  EXPECT_NE(refusal("sqlite:").find("names no file"), std::string::npos);
  EXPECT_NE(refusal("sqlite:///").find("names no file"), std::string::npos);
  // A host where SQLite has none: refused, not read as the relative file "x.db".
  EXPECT_NE(refusal("sqlite://x.db").find("sqlite:///absolute"), std::string::npos);
  EXPECT_NE(refusal("sqlite://host/file.db").find("sqlite:///absolute"), std::string::npos);
}

}  // namespace
}  // namespace pulseboard::db
