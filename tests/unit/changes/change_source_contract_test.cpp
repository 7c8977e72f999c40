// The contract every change source keeps, whatever the database (docs/worker.md): an order
// written through the store arrives once, as a change carrying its fields, in commit order; its
// position survives a restart, which resumes after the acknowledged position (the unacknowledged
// rest is delivered again, the acknowledged part never); an update is reported as an update.
// SQLite always; PostgreSQL when PULSEBOARD_DATABASE_URL is set. MongoDB runs on the recorded
// change events (no server): the decoder's half of the contract plus the resume token's restart.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <set>

#include "changes/change_source.hpp"
#include "changes/mongo_change_decoder.hpp"
#include "changes/resume_token_file.hpp"
#include "common/ids.hpp"
#include "recorded.hpp"
#include "scratch_dir.hpp"
#include "store/order_store.hpp"

namespace pulseboard::changes {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

// One database with a store writing to it and sources reading from it.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual store::OrderStore& store() = 0;
  // A new source object: a second one is a restart of the worker.
  virtual std::unique_ptr<ChangeSource> source() = 0;
};

class SqliteBackend final : public Backend {
 public:
  SqliteBackend() : dir_("pulseboard-contract"), url_("sqlite:" + (dir_.path() / "c.db").string()) {
    store_ = store::open_store(url_);
  }
  store::OrderStore& store() override { return *store_; }
  std::unique_ptr<ChangeSource> source() override {
    SourceOptions o;
    o.push_down = false;
    return open_change_source(url_, o);
  }

 private:
  pulseboard::testing::ScratchDir dir_;
  std::string url_;
  std::unique_ptr<store::OrderStore> store_;
};

class PostgresBackend final : public Backend {
 public:
  explicit PostgresBackend(std::string url) : url_(std::move(url)) {
    store_ = store::open_store(url_);
    // Slot names take lower-case letters, digits and '_' only.
    std::string token = random_token(8);
    for (auto& ch : token)
      ch = std::isalnum(static_cast<unsigned char>(ch)) ? std::tolower(ch) : '_';
    const std::string suffix = std::to_string(::getpid()) + "_" + token;
    options_.slot = "pb_contract_slot_" + suffix;
    options_.publication = "pb_contract_pub_" + suffix;
    options_.push_down = false;
  }
  ~PostgresBackend() override {
    PGconn* c = PQconnectdb(url_.c_str());
    // The server releases a closed replication connection's slot a moment later.
    for (int i = 0; i < 100 && !drop_slot(c); ++i) std::this_thread::sleep_for(100ms);
    exec(c, "DROP PUBLICATION IF EXISTS " + options_.publication);
    exec(c,
         "DELETE FROM worker_positions WHERE source LIKE 'postgres-slot:" + options_.slot + "@%'");
    PQfinish(c);
  }
  store::OrderStore& store() override { return *store_; }
  std::unique_ptr<ChangeSource> source() override { return open_change_source(url_, options_); }

 private:
  static bool exec(PGconn* c, const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
  }
  bool drop_slot(PGconn* c) {
    return exec(c,
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE "
                "slot_name = '" +
                    options_.slot + "'");
  }
  std::string url_;
  SourceOptions options_;
  std::unique_ptr<store::OrderStore> store_;
};

class ChangeSourceContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      backend_ = std::make_unique<SqliteBackend>();
      return;
    }
    const char* url = std::getenv("PULSEBOARD_DATABASE_URL");
    if (!url || !*url) GTEST_SKIP() << "PULSEBOARD_DATABASE_URL is not set: postgres skipped";
    backend_ = std::make_unique<PostgresBackend>(url);
  }

  std::unique_ptr<ChangeSource> started() {
    auto s = backend_->source();
    EXPECT_TRUE(s);
    if (!s) return nullptr;
    // Generous deadline: a replication slot may take a while to create on a busy machine.
    std::string last_error;
    for (int i = 0; i < 50; ++i) {
      auto err = s->start(std::nullopt);
      if (!err) return s;
      last_error = err->message;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "the source never started: " << last_error;
    return nullptr;
  }

  std::string create(double amount, const std::string& status = "completed") {
    store::NewOrder o;
    o.amount = amount;
    o.status = *store::parse_order_status(status);
    o.category = category_;
    auto created = backend_->store().create(o, std::nullopt, "");
    EXPECT_TRUE(std::holds_alternative<store::Created>(created));
    return std::get<store::Created>(created).order.id;
  }

  // Polls until `count` changes of this test's orders arrived (or a generous deadline), then
  // once more, so that a change delivered twice would show.
  std::vector<ChangeEvent> collect(ChangeSource& source, std::size_t count) {
    std::vector<ChangeEvent> got;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    bool settled = false;
    while (std::chrono::steady_clock::now() < deadline) {
      auto polled = source.poll(200ms, 100);
      if (auto* err = std::get_if<SourceError>(&polled)) {
        ADD_FAILURE() << err->message;
        break;
      }
      for (auto& e : std::get<std::vector<ChangeEvent>>(polled))
        if (ours(e)) got.push_back(std::move(e));
      if (got.size() >= count && settled) break;
      settled = got.size() >= count;
    }
    return got;
  }

  bool ours(const ChangeEvent& e) const {
    auto* full = e.document.if_contains("fullDocument");
    if (!full || !full->is_object()) return false;
    auto* category = full->as_object().if_contains("category");
    return category && *category == json::value(category_);
  }

  static std::string id_of(const ChangeEvent& e) {
    return json::value_to<std::string>(e.document.at("fullDocument").at("_id"));
  }

  std::unique_ptr<Backend> backend_;
  std::string category_ = "contract-" + random_token(8);
};

TEST_P(ChangeSourceContract, AnInsertedOrderArrivesOnceWithItsFieldsInCommitOrder) {
  auto source = started();
  ASSERT_TRUE(source);
  const std::string a = create(10.5), b = create(20.25, "pending"), c = create(30);
  auto got = collect(*source, 3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(id_of(got[0]), a);
  EXPECT_EQ(id_of(got[1]), b);
  EXPECT_EQ(id_of(got[2]), c);
  for (auto& e : got) EXPECT_EQ(e.document.at("operationType"), "insert");
  const auto& full = got[1].document.at("fullDocument").as_object();
  EXPECT_EQ(full.at("amount").to_number<double>(), 20.25);
  EXPECT_EQ(full.at("status"), "pending");
  EXPECT_EQ(full.at("category"), json::value(category_));
  EXPECT_TRUE(full.at("createdAt").is_string());
  std::set<std::string> ids;
  for (auto& e : got) ids.insert(e.event_id);
  EXPECT_EQ(ids.size(), 3u) << "every change has its own event id";
}

TEST_P(ChangeSourceContract, ARestartResumesAfterTheAcknowledgedPosition) {
  auto first = started();
  ASSERT_TRUE(first);
  const std::string a = create(1), b = create(2);
  auto before = collect(*first, 2);
  ASSERT_EQ(before.size(), 2u);
  ASSERT_FALSE(first->acknowledge(before[0].position));  // a only: b is still in flight
  first->stop();
  first.reset();

  auto second = started();
  ASSERT_TRUE(second);
  const std::string c = create(3);
  auto after = collect(*second, 2);
  ASSERT_EQ(after.size(), 2u) << "b again (unacknowledged) and c; never a (acknowledged)";
  EXPECT_EQ(id_of(after[0]), b);
  EXPECT_EQ(after[0].event_id, before[1].event_id) << "the same change keeps its event id";
  EXPECT_EQ(id_of(after[1]), c);
}

TEST_P(ChangeSourceContract, AnUpdateIsReportedAsAnUpdate) {
  auto source = started();
  ASSERT_TRUE(source);
  const std::string id = create(5, "pending");
  store::OrderPatch patch;
  patch.status = store::OrderStatus::completed;
  ASSERT_TRUE(std::holds_alternative<store::Order>(backend_->store().update(id, patch)));
  auto got = collect(*source, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].document.at("operationType"), "insert");
  EXPECT_EQ(got[1].document.at("operationType"), "update");
  EXPECT_EQ(id_of(got[1]), id);
  EXPECT_EQ(got[1].document.at("fullDocument").at("status"), "completed");
}

INSTANTIATE_TEST_SUITE_P(Sources, ChangeSourceContract, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// MongoDB, from recorded change events.
ChangeEvent decoded(const std::string& file) {
  auto d = decode_mongo_change(testing::recorded(file), false);
  EXPECT_TRUE(std::holds_alternative<ChangeEvent>(d)) << file;
  return std::get<ChangeEvent>(std::move(d));
}

TEST(ChangeSourceContractMongo, AnInsertCarriesItsFieldsAndAStableId) {
  auto e = decoded("insert_completed.json");
  EXPECT_EQ(e.document.at("operationType"), "insert");
  const auto& full = e.document.at("fullDocument").as_object();
  EXPECT_EQ(full.at("_id"), "oZkt23DVNpeRzR9mPZVx");
  EXPECT_EQ(full.at("amount").to_number<double>(), 129.5);
  EXPECT_EQ(full.at("createdAt"), "2024-11-28T04:00:00.120Z");
  EXPECT_EQ(decoded("insert_completed.json").event_id, e.event_id);
  EXPECT_NE(decoded("update_to_completed.json").event_id, e.event_id);
}

TEST(ChangeSourceContractMongo, UpdatesAndDeletesAreReportedAsSuch) {
  EXPECT_EQ(decoded("update_to_completed.json").document.at("operationType"), "update");
  EXPECT_EQ(decoded("delete.json").document.at("operationType"), "delete");
}

TEST(ChangeSourceContractMongo, TheAcknowledgedPositionSurvivesARestart) {
  pulseboard::testing::ScratchDir dir("pulseboard-contract-mongo");
  auto e = decoded("update_to_completed.json");
  ASSERT_FALSE(ResumeTokenFile(dir.path() / "token.json").save(e.position));
  auto loaded = ResumeTokenFile(dir.path() / "token.json").load();
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_EQ(json::parse(std::get<std::string>(loaded)), json::parse(e.position));
}

}  // namespace
}  // namespace pulseboard::changes
