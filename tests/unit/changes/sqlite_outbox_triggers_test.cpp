// SQLite's outbox filled by triggers (sqlite_outbox_triggers.hpp): a row written by another
// program into a followed table arrives as a change of that table, with its columns under their
// own names; an order the API's store writes still arrives exactly once (no trigger on orders);
// a BLOB column does not make the writer's insert fail; a missing table fails start() by name.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "changes/change_source.hpp"
#include "changes/sqlite_outbox_triggers.hpp"
#include "db/sqlite.hpp"
#include "scratch_dir.hpp"
#include "store/order_store.hpp"

namespace pulseboard::changes {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

// Another program writing the file (the sqlite3 CLI): its own connection, plain SQL.
void run_sql(const std::string& path, const std::string& sql) {
  std::string error;
  auto db = db::sqlite::open(path, error);
  ASSERT_TRUE(db) << error;
  char* message = nullptr;
  ASSERT_EQ(sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
      << (message ? message : "");
}

std::vector<ChangeEvent> poll_all(ChangeSource& source) {
  auto polled = source.poll(200ms, 100);
  EXPECT_TRUE(std::holds_alternative<std::vector<ChangeEvent>>(polled));
  return std::get<std::vector<ChangeEvent>>(polled);
}

TEST(SqliteOutboxTriggers, TriggerSqlCarriesEveryColumnAndTheKey) {
  const std::string sql = outbox_trigger_sql(
      {.name = "signups", .columns = {"id", "plan", "photo"}, .key = "id"}, "insert");
  EXPECT_NE(sql.find("AFTER INSERT ON \"signups\""), std::string::npos) << sql;
  EXPECT_NE(sql.find("CAST(NEW.\"id\" AS TEXT)"), std::string::npos) << sql;
  EXPECT_NE(sql.find("'plan', CASE WHEN typeof(NEW.\"plan\") = 'blob'"), std::string::npos) << sql;
  EXPECT_NE(sql.find("'signups'); END"), std::string::npos) << sql;
}

TEST(SqliteOutboxTriggers, RowsOfAnyProgramArriveAsChangesOfTheirTableAndOrdersOnce) {
  pulseboard::testing::ScratchDir dir("pulseboard-triggers");
  const std::string path = (dir.path() / "t.db").string();
  auto store = store::open_store("sqlite:" + path);
  run_sql(path,
          "CREATE TABLE signups (id INTEGER PRIMARY KEY, plan TEXT, mrr_cents INTEGER, "
          "photo BLOB)");
  auto source = make_sqlite_source(path, SourceOptions{}, {"signups"});
  ASSERT_FALSE(source->start(std::nullopt));

  run_sql(path, "INSERT INTO signups (plan, mrr_cents, photo) VALUES ('pro', 4900, x'00ff')");
  run_sql(path, "UPDATE signups SET plan = 'team' WHERE id = 1");
  store::NewOrder order;
  order.amount = 12.5;
  order.status = store::OrderStatus::completed;
  order.category = "books";
  ASSERT_TRUE(std::holds_alternative<store::Created>(store->create(order, std::nullopt, "")));

  auto events = poll_all(*source);
  ASSERT_EQ(events.size(), 3u);  // the order once: the API's own outbox row, no trigger
  EXPECT_EQ(events[0].table, "signups");
  EXPECT_EQ(events[0].document.at("operationType"), "insert");
  EXPECT_EQ(events[0].document.at("documentKey").at("_id"), "1");
  EXPECT_EQ(events[0].document.at("fullDocument"),
            json::parse(R"({"id":1,"plan":"pro","mrr_cents":4900,"photo":"00FF"})"));
  EXPECT_EQ(events[1].document.at("operationType"), "update");
  EXPECT_EQ(events[1].document.at("fullDocument").at("plan"), "team");
  EXPECT_GT(events[1].committed_at_ms, 1'700'000'000'000);
  EXPECT_EQ(events[2].table, "orders");
  EXPECT_EQ(events[2].document.at("fullDocument").at("amount"), 12.5);
  EXPECT_TRUE(events[2].document.at("fullDocument").as_object().contains("_id"));
}

TEST(SqliteOutboxTriggers, AMissingTableFailsStartByName) {
  pulseboard::testing::ScratchDir dir("pulseboard-triggers");
  const std::string path = (dir.path() / "t.db").string();
  auto source = make_sqlite_source(path, SourceOptions{}, {"nope"});
  auto err = source->start(std::nullopt);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("table 'nope': no such table"), std::string::npos) << err->message;
}

}  // namespace
}  // namespace pulseboard::changes
