// The MongoDB source's resume-token file, and a live test that runs when PULSEBOARD_MONGO_URI
// points at a replica set (none can run on the build machines).
#include <gtest/gtest.h>
#include <mongoc/mongoc.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "changes/change_source.hpp"
#include "changes/resume_token_file.hpp"
#include "common/ids.hpp"

namespace pulseboard::changes {
namespace {
using namespace std::chrono_literals;

std::filesystem::path temp_dir() {
  auto d = std::filesystem::temp_directory_path() / ("pulseboard-mongo-" + random_token(8));
  std::filesystem::create_directories(d);
  return d;
}

TEST(ResumeTokenFile, MissingThenSavedThenLoaded) {
  auto dir = temp_dir();
  ResumeTokenFile file(dir / "state" / "mongo-resume-token.json");
  EXPECT_TRUE(std::holds_alternative<ResumeTokenFile::Missing>(file.load()));
  EXPECT_FALSE(file.save(R"({"_data":"8263"})"));
  auto loaded = file.load();
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_EQ(std::get<std::string>(loaded), R"({"_data":"8263"})");
  EXPECT_FALSE(file.save(R"({"_data":"8264"})"));
  EXPECT_EQ(std::get<std::string>(file.load()), R"({"_data":"8264"})");
  EXPECT_FALSE(std::filesystem::exists(file.path().string() + ".tmp"));
  std::filesystem::remove_all(dir);
}

TEST(ResumeTokenFile, ACorruptFileIsAnErrorNotAFreshStart) {
  auto dir = temp_dir();
  ResumeTokenFile file(dir / "token.json");
  std::ofstream(file.path()) << "{\"_data\":";
  auto loaded = file.load();
  ASSERT_TRUE(std::holds_alternative<ResumeTokenFile::Error>(loaded));
  EXPECT_NE(std::get<ResumeTokenFile::Error>(loaded).message.find("refusing"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(MongoSourceLive, PublishesProjectedCompletedOrdersAndResumes) {
  const char* uri = std::getenv("PULSEBOARD_MONGO_URI");
  if (!uri || !*uri)
    GTEST_SKIP() << "PULSEBOARD_MONGO_URI is not set (needs a MongoDB replica set, e.g. "
                    "mongodb://127.0.0.1:27017/pulseboard_test?replicaSet=rs0)";
  auto dir = temp_dir();
  SourceOptions options;
  options.state_dir = dir;
  auto source = make_mongo_source(uri, options);
  ASSERT_FALSE(source->start(std::nullopt));

  mongoc_client_t* client = mongoc_client_new(uri);
  ASSERT_TRUE(client);
  mongoc_uri_t* parsed = mongoc_uri_new(uri);
  const char* db = mongoc_uri_get_database(parsed);
  mongoc_collection_t* orders =
      mongoc_client_get_collection(client, db ? db : "dashboard", "orders");
  const std::string prefix = random_token(10);
  auto insert = [&](const std::string& id, double amount, const char* status) {
    bson_t* doc =
        BCON_NEW("_id", BCON_UTF8(id.c_str()), "amount", BCON_DOUBLE(amount), "status",
                 BCON_UTF8(status), "category", BCON_UTF8("books"), "createdAt",
                 BCON_DATE_TIME(1732766400120), "updatedAt", BCON_DATE_TIME(1732766400120));
    bson_error_t err;
    EXPECT_TRUE(mongoc_collection_insert_one(orders, doc, nullptr, nullptr, &err)) << err.message;
    bson_destroy(doc);
  };
  insert(prefix + "p", 1, "pending");
  insert(prefix + "c", 129.5, "completed");

  std::vector<ChangeEvent> got;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.empty() && std::chrono::steady_clock::now() < deadline) {
    auto r = source->poll(200ms, 10);
    ASSERT_TRUE(std::holds_alternative<std::vector<ChangeEvent>>(r))
        << std::get<SourceError>(r).message;
    for (auto& e : std::get<std::vector<ChangeEvent>>(r)) got.push_back(e);
  }
  ASSERT_EQ(got.size(), 1u);  // the pending insert was filtered server-side
  EXPECT_TRUE(source->pipeline_applied());
  EXPECT_EQ(got[0].document.at("id"), boost::json::value(prefix + "c"));
  EXPECT_EQ(got[0].document.at("revenue"), 129.5);
  EXPECT_EQ(got[0].document.at("time"), "2024-11-28T04:00:00.120Z");
  ASSERT_FALSE(source->acknowledge(got[0].position));
  source->stop();

  insert(prefix + "c2", 2, "completed");
  ASSERT_FALSE(source->start(std::nullopt));  // resumes after the stored token
  got.clear();
  deadline = std::chrono::steady_clock::now() + 10s;
  while (got.empty() && std::chrono::steady_clock::now() < deadline) {
    auto r = source->poll(200ms, 10);
    if (auto* v = std::get_if<std::vector<ChangeEvent>>(&r))
      for (auto& e : *v) got.push_back(e);
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].document.at("id"), boost::json::value(prefix + "c2"));
  source->stop();

  mongoc_collection_destroy(orders);
  mongoc_uri_destroy(parsed);
  mongoc_client_destroy(client);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pulseboard::changes
