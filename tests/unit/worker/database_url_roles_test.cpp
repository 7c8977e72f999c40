// The API opens its order store and the worker its change source from the same DATABASE_URL:
// both must read it the same way, or the worker follows a different database than the API
// writes (sqlite://x.db once opened the relative file x.db in the worker and was refused by the
// API). Each URL goes through both entry points, store::open_store and
// changes::open_change_source, and the answers must agree.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "changes/change_source.hpp"
#include "scratch_dir.hpp"
#include "store/order_store.hpp"

namespace pulseboard::worker {
namespace {
using namespace std::chrono_literals;

// The store's answer: "opened", "refused: <message>", or "unreachable: <message>".
std::string store_answer(const std::string& url) {
  try {
    return store::open_store(url) ? "opened" : "null";
  } catch (const std::invalid_argument& e) {
    return std::string("refused: ") + e.what();
  } catch (const std::runtime_error& e) {
    return std::string("unreachable: ") + e.what();
  }
}

// The change source's answer for the same URL: which source, or the refusal.
std::string source_answer(const std::string& url) {
  std::string error;
  auto source = changes::open_change_source(url, changes::SourceOptions{}, &error);
  return source ? source->name() : "refused: " + error;
}

// The working directory, moved into a scratch directory for relative SQLite paths.
class InDirectory {
 public:
  explicit InDirectory(const std::filesystem::path& dir)
      : before_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~InDirectory() { std::filesystem::current_path(before_); }

 private:
  std::filesystem::path before_;
};

// An order written by the store at `url` reaches the change source opened at `url`.
void expect_same_sqlite_file(const std::string& url) {
  auto store = store::open_store(url);
  store::NewOrder order;
  order.amount = 1;
  order.category = "roles";
  auto created = store->create(order, std::nullopt, "");
  ASSERT_TRUE(std::holds_alternative<store::Created>(created));
  std::string error;
  auto source = changes::open_change_source(url, changes::SourceOptions{}, &error);
  ASSERT_TRUE(source) << error;
  ASSERT_FALSE(source->start(std::nullopt));
  auto polled = source->poll(5s, 10);
  ASSERT_TRUE(std::holds_alternative<std::vector<changes::ChangeEvent>>(polled));
  auto& events = std::get<std::vector<changes::ChangeEvent>>(polled);
  ASSERT_EQ(events.size(), 1u) << url;
  EXPECT_EQ(events[0].document.at("fullDocument").at("_id"),
            boost::json::value(std::get<store::Created>(created).order.id));
  source->stop();
}

TEST(DatabaseUrlRoles, SqliteRelativeAndAbsoluteOpenTheSameFileInBothRoles) {
  testing::ScratchDir dir("pulseboard-roles");
  {
    InDirectory in(dir.path());
    expect_same_sqlite_file("sqlite:relative.db");
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "relative.db"));
  expect_same_sqlite_file("sqlite://" + (dir.path() / "absolute.db").string());
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "absolute.db"));
}

TEST(DatabaseUrlRoles, BothRolesRefuseTheSameUrlsWithTheSameMessage) {
  testing::ScratchDir dir("pulseboard-roles-refused");
  InDirectory in(dir.path());
  for (const char* url : {"sqlite://x.db", "sqlite:", "garbage", "mysql://h/db", ""}) {
    const std::string answer = store_answer(url);
    EXPECT_TRUE(answer.starts_with("refused: ")) << url << ": " << answer;
    EXPECT_EQ(source_answer(url), answer) << url;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "x.db"));
}

TEST(DatabaseUrlRoles, ServerUrlsNameTheSameBackendInBothRoles) {
  // Nothing listens on port 1: the store (which connects at once) fails to reach PostgreSQL,
  // the source (which connects at start) is a PostgreSQL source.
  for (const char* url : {"postgres://postgres@127.0.0.1:1/x?connect_timeout=2",
                          "postgresql://postgres@127.0.0.1:1/x?connect_timeout=2"}) {
    EXPECT_NE(store_answer(url).find("PostgreSQL"), std::string::npos) << url;
    EXPECT_EQ(source_answer(url), "postgres") << url;
  }
  // libmongoc connects lazily: both open a MongoDB client.
  EXPECT_EQ(store_answer("mongodb://127.0.0.1:1/x"), "opened");
  EXPECT_EQ(source_answer("mongodb://127.0.0.1:1/x"), "mongo");
}

}  // namespace
}  // namespace pulseboard::worker
