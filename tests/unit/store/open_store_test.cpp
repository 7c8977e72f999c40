#include "store/order_store.hpp"
#include "store_backends.hpp"

#include <gtest/gtest.h>

namespace pulseboard::store {
namespace {

std::string invalid_argument_message(std::string_view url) {
  try {
    open_store(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<no std::invalid_argument>";
}

TEST(OpenStore, BadUrlsSayWhatIsWrong) {
  EXPECT_NE(invalid_argument_message("").find("empty"), std::string::npos);
  EXPECT_NE(invalid_argument_message("mysql://localhost/db").find("'mysql' is not supported"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message("sqlite:").find("names no file"), std::string::npos);
  EXPECT_NE(invalid_argument_message("sqlite://host/file.db").find("sqlite:///absolute"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message("postgresql://host/db?no_such_option=1").find("PostgreSQL"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message("mongodb://").find("MongoDB"), std::string::npos);
}

TEST(OpenStore, SqliteUrlForms) {
  testing::TempSqliteFile file;
  ASSERT_TRUE(file.path().starts_with("/"));
  EXPECT_TRUE(open_store("sqlite://" + file.path()));
  EXPECT_TRUE(open_store("sqlite:" + file.path()));
  EXPECT_TRUE(open_store("sqlite::memory:"));
}

TEST(OpenStore, UnreachablePostgresFailsAtStartup) {
  // Port 1 on loopback: nothing listens there.
  EXPECT_THROW(open_store("postgresql://postgres@127.0.0.1:1/pulseboard?connect_timeout=2"),
               std::runtime_error);
}

}  // namespace
}  // namespace pulseboard::store
