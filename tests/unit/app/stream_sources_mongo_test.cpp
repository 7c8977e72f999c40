// A stream file over MongoDB collections (docs/streams.md, "Rebuild"): no start-up checks (a
// pipeline naming any field is accepted, nothing waits for the server), and the worker gets the
// collection reader its streams over collections other than orders are rebuilt from.
#include <gtest/gtest.h>

#include <chrono>

#include "app/stream_sources.hpp"

namespace pulseboard::app {
namespace {

constexpr const char* kSignups = R"(
[[stream]]
name = "signups"
source = "signups"
rooms = ["signups"]
event = "signup"
pipeline = '[{"$match": {"fullDocument.plan": "pro"}}, {"$project": {"id": "$fullDocument._id", "time": "$fullDocument.createdAt"}}]'
[stream.aggregate]
time = "time"
[[stream.aggregate.measure]]
name = "signups"
op = "count"
)";

streams::StreamsConfig signups() {
  auto parsed = streams::parse_config(kSignups, "signups.toml");
  EXPECT_TRUE(std::holds_alternative<streams::StreamsConfig>(parsed));
  return std::get<streams::StreamsConfig>(parsed);
}

// Nothing answers on port 1: a start-up check would wait 30 s for it and then skip; the reader
// is handed over without asking the server anything.
TEST(StreamSourcesMongo, ACollectionStreamGetsItsRebuildReaderWithoutStartUpChecks) {
  worker::Worker::Options worker;
  changes::SourceOptions source;
  std::vector<std::string> sqlite_tables;
  const auto started = std::chrono::steady_clock::now();
  apply_stream_file(signups(), {"signups.toml", "mongodb://127.0.0.1:1/dashboard", true}, worker,
                    source, sqlite_tables);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  ASSERT_TRUE(worker.tables);
  ASSERT_EQ(worker.streams.size(), 1u);
  EXPECT_EQ(worker.streams[0].time_column, "createdAt");
  EXPECT_FALSE(worker.streams[0].rebuild_from_history);
  ASSERT_EQ(source.tables.size(), 1u);
  EXPECT_EQ(source.tables[0].name, "signups");
}

TEST(StreamSourcesMongo, WithoutRebuildNoReaderIsKept) {
  worker::Worker::Options worker;
  changes::SourceOptions source;
  std::vector<std::string> sqlite_tables;
  apply_stream_file(signups(), {"signups.toml", "mongodb://127.0.0.1:1/dashboard", false}, worker,
                    source, sqlite_tables);
  EXPECT_FALSE(worker.tables);
}

}  // namespace
}  // namespace pulseboard::app
