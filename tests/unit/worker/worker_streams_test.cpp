// Several streams in one worker over one source (docs/streams.md): each change goes to the
// streams of its table, through that stream's pipeline, to its rooms as its event; each stream
// keeps its own aggregates and retained snapshot; the source's one position is acknowledged once
// per batch; a replayed change is counted once per stream.
#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <thread>

#include "broker/broker_memory.hpp"
#include "changes/change_source.hpp"
#include "changes/mongo_change_decoder.hpp"
#include "changes/table_reader_mongo.hpp"
#include "common/clock.hpp"
#include "eventually.hpp"
#include "recorded.hpp"
#include "streams/stream_config.hpp"
#include "worker/stream_checks.hpp"
#include "worker/worker.hpp"

namespace pulseboard::worker {
namespace {
namespace json = boost::json;
using changes::ChangeEvent;
using testing::eventually;

// Hands out scripted batches; records what was acknowledged.
class ScriptedSource final : public changes::ChangeSource {
 public:
  std::string name() const override { return "scripted"; }
  std::optional<changes::SourceError> start(std::optional<std::string>) override {
    return std::nullopt;
  }
  std::variant<std::vector<ChangeEvent>, changes::SourceError> poll(std::chrono::milliseconds wait,
                                                                    std::size_t) override {
    {
      std::lock_guard lock(mutex);
      if (!batches.empty()) {
        auto batch = std::move(batches.front());
        batches.pop_front();
        return batch;
      }
    }
    std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(20)));
    return std::vector<ChangeEvent>{};
  }
  std::optional<changes::SourceError> acknowledge(const std::string& position) override {
    std::lock_guard lock(mutex);
    acknowledged.push_back(position);
    return std::nullopt;
  }
  void stop() override {}

  void push(std::vector<ChangeEvent> batch) {
    std::lock_guard lock(mutex);
    batches.push_back(std::move(batch));
  }
  std::vector<std::string> acks() {
    std::lock_guard lock(mutex);
    return acknowledged;
  }

 private:
  std::mutex mutex;
  std::deque<std::vector<ChangeEvent>> batches;
  std::vector<std::string> acknowledged;
};

ChangeEvent insert(std::string table, std::int64_t position, json::object row) {
  ChangeEvent e;
  e.table = std::move(table);
  e.position = std::to_string(position);
  e.event_id = "sqlite:" + e.position;
  // Inside the aggregates' window: they count by the commit time here.
  static const std::int64_t base = now_unix_ms();
  e.committed_at_ms = base + position;
  e.document = json::object{{"_id", json::object{{"position", e.position}}},
                            {"operationType", "insert"},
                            {"fullDocument", std::move(row)},
                            {"committedAt", e.committed_at_ms}};
  return e;
}

constexpr const char* kTwoStreams = R"(
[[stream]]
name = "orders"
source = "orders"
rooms = ["live-metrics"]
event = "metrics-update"
snapshot_event = "metrics-snapshot"
pipeline = '[{"$match": {"fullDocument.status": "completed"}}, {"$project": {"id": "$fullDocument._id", "revenue": "$fullDocument.amount"}}]'
[stream.aggregate]
time = "committedAt"
[[stream.aggregate.measure]]
name = "revenue"
op = "sum"
field = "revenue"

[[stream]]
name = "signups"
source = "public.signups"
rooms = ["signups", "growth"]
event = "signup"
pipeline = '[{"$project": {"id": "$fullDocument.id", "plan": "$fullDocument.plan"}}]'
[stream.aggregate]
time = "committedAt"
[[stream.aggregate.measure]]
name = "signups"
op = "count"
)";

struct Bridge {
  std::mutex mutex;
  std::vector<json::object> messages;
  void attach(broker::Broker& b) {
    b.subscribe("socket-io-bridge", [this](std::string_view, std::string_view payload) {
      std::lock_guard lock(mutex);
      messages.push_back(json::parse(payload).as_object());
    });
  }
  std::vector<json::object> of(std::string_view room, std::string_view event) {
    std::lock_guard lock(mutex);
    std::vector<json::object> out;
    for (auto& m : messages)
      if (m.at("room").as_string() == room && m.at("event").as_string() == event) out.push_back(m);
    return out;
  }
};

std::vector<StreamOptions> two_streams() {
  auto parsed = streams::parse_config(kTwoStreams, "two.toml");
  EXPECT_TRUE(std::holds_alternative<streams::StreamsConfig>(parsed));
  return streams_of(std::get<streams::StreamsConfig>(parsed));
}

// The columns a rebuild orders by and the start-up checks look for come from the pipeline.
TEST(WorkerStreams, FindsTheSourceColumnsAPipelineNames) {
  auto parsed = pipeline::Pipeline::parse(
      R"([{"$match":{"fullDocument.kind":"keep","$or":[{"fullDocument.n.x":1},{"fullDocument.m":2}]}},
          {"$project":{"id":"$fullDocument.k","time":"$fullDocument.at","deep":"$fullDocument.a.b",
                       "lit":{"$literal":"$fullDocument.not_a_column"}}}])");
  const auto& p = std::get<pipeline::Pipeline>(parsed);
  EXPECT_EQ(source_column_of(p, "time"), "at");
  EXPECT_EQ(source_column_of(p, "deep"), "");  // not a column of its own
  EXPECT_EQ(source_column_of(p, "missing"), "");
  const std::vector<std::string> named = columns_named(p);
  for (const char* column : {"kind", "n", "m", "k", "at", "a"})
    EXPECT_NE(std::find(named.begin(), named.end(), column), named.end()) << column;
  EXPECT_EQ(named.size(), 6u);  // not "not_a_column": a $literal is a value
}

TEST(WorkerStreams, RoutesByTableAndSchemaQualifiedNames) {
  auto s = two_streams();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(s[0].rebuild_from_history);  // the orders table: rebuilt from the store
  EXPECT_FALSE(s[1].rebuild_from_history);
  EXPECT_TRUE(takes(s[0], insert("orders", 1, {})));
  EXPECT_TRUE(takes(s[0], insert("public.orders", 1, {})));  // bare name: any schema
  EXPECT_FALSE(takes(s[0], insert("public.signups", 1, {})));
  EXPECT_TRUE(takes(s[1], insert("public.signups", 1, {})));
  EXPECT_FALSE(takes(s[1], insert("audit.signups", 1, {})));  // qualified: that schema only
  EXPECT_FALSE(takes(s[1], insert("orders", 1, {})));
}

TEST(WorkerStreams, EachChangeGoesToTheStreamsOfItsTableOncePerRoomAndReplaysCountOnce) {
  auto source = std::make_unique<ScriptedSource>();
  auto* script = source.get();
  auto broker = std::make_shared<broker::MemoryBroker>();
  Bridge bridge;
  bridge.attach(*broker);
  Worker::Options options;
  options.streams = two_streams();
  options.snapshot_interval = std::chrono::milliseconds(10);
  Worker w(std::move(source), broker, options);
  std::jthread runner([&w](std::stop_token st) { w.run(st); });

  const std::vector<ChangeEvent> batch = {
      insert("public.orders", 1, {{"_id", "o1"}, {"status", "completed"}, {"amount", 10.0}}),
      insert("public.signups", 2, {{"id", "s1"}, {"plan", "pro"}}),
      insert("public.orders", 3, {{"_id", "o2"}, {"status", "pending"}, {"amount", 99.0}}),
      insert("public.signups", 4, {{"id", "s2"}, {"plan", "free"}}),
      insert("public.other", 5, {{"id", "x"}}),
  };
  script->push(batch);
  script->push(batch);  // delivered again (a restart before the position was stored)

  ASSERT_TRUE(eventually([&] { return script->acks().size() == 2; }));
  EXPECT_EQ(script->acks(), (std::vector<std::string>{"5", "5"}));
  auto updates = bridge.of("live-metrics", "metrics-update");
  ASSERT_EQ(updates.size(), 2u);  // o1 twice (at least once); o2 filtered out
  EXPECT_EQ(updates[0].at("data").at("id"), "o1");
  EXPECT_EQ(bridge.of("signups", "signup").size(), 4u);
  EXPECT_EQ(bridge.of("growth", "signup").size(), 4u);
  EXPECT_TRUE(bridge.of("live-metrics", "signup").empty());
  EXPECT_TRUE(bridge.of("signups", "metrics-update").empty());

  // Each stream's snapshot in each of its rooms, counting each row once.
  auto last_total = [&](std::string_view room, std::string_view event, std::string_view m) {
    auto snaps = bridge.of(room, event);
    return snaps.empty() ? -1.0 : snaps.back().at("data").at("totals").at(m).to_number<double>();
  };
  EXPECT_TRUE(eventually([&] {
    return last_total("live-metrics", "metrics-snapshot", "revenue") == 10.0 &&
           last_total("signups", "signup-snapshot", "signups") == 2.0 &&
           last_total("growth", "signup-snapshot", "signups") == 2.0;
  }));
  EXPECT_GE(w.stats().replays_skipped, 3u);  // o1, s1, s2 the second time
  // Per stream: each row counted once, the replays not.
  const auto rows = w.stats().streams;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, options.streams[0].name);
  EXPECT_EQ(rows[0].applied, 1u);  // o1
  EXPECT_EQ(rows[1].applied, 2u);  // s1, s2
  EXPECT_EQ(rows[0].late + rows[1].late, 0u);
}

// A stream over a MongoDB collection other than orders: rebuilt from the collection's newest
// documents (the reader's find, recorded), each as the event its insert change decodes to; the
// streamed insert of a rebuilt document then replaces its contribution instead of adding to it.
class RecordedCollection final : public changes::TableReader {
 public:
  explicit RecordedCollection(std::string created_at) : created_at_(std::move(created_at)) {}
  std::optional<std::string> reachable() override { return std::nullopt; }
  std::variant<std::vector<std::string>, std::string> columns(const std::string&) override {
    return std::vector<std::string>{};
  }
  std::variant<std::vector<ChangeEvent>, std::string> newest(const std::string& collection,
                                                             const std::string& field,
                                                             std::size_t limit) override {
    {
      std::lock_guard lock(mutex);
      reads.push_back(collection + " by " + field);
    }
    std::vector<ChangeEvent> out;
    auto found = testing::recorded("find_signups_reply.json").at("cursor").at("firstBatch");
    for (auto& doc : found.as_array()) {
      json::object d = doc.as_object();
      d["createdAt"] = json::object{{"$date", created_at_}};  // inside the window
      if (out.size() < limit)
        out.push_back(
            *changes::mongo_rebuild_event(d, changes::mongo_namespace(collection, "dashboard")));
    }
    return out;
  }
  std::mutex mutex;
  std::vector<std::string> reads;

 private:
  std::string created_at_;
};

ChangeEvent recorded_signup_insert(const std::string& created_at, std::string_view oid) {
  json::object change = testing::recorded("insert_signup.json");
  auto& full = change["fullDocument"].as_object();
  full["createdAt"] = json::object{{"$date", created_at}};
  if (!oid.empty()) {
    full["_id"] = json::object{{"$oid", oid}};
    change["documentKey"] = json::object{{"_id", full["_id"]}};
    change["_id"] = json::object{{"_data", std::string(oid)}};
  }
  auto decoded = changes::decode_mongo_change(change, false);
  EXPECT_TRUE(std::holds_alternative<ChangeEvent>(decoded));
  return std::get<ChangeEvent>(std::move(decoded));
}

constexpr const char* kSignupsCollection = R"(
[[stream]]
name = "signups"
source = "signups"
rooms = ["signups"]
event = "signup"
pipeline = '[{"$project": {"id": "$fullDocument._id", "plan": "$fullDocument.plan", "time": "$fullDocument.createdAt"}}]'
[stream.aggregate]
time = "time"
[[stream.aggregate.measure]]
name = "signups"
op = "count"
)";

TEST(WorkerStreams, AMongoCollectionIsRebuiltAndItsReplayedInsertCountsOnce) {
  const std::string created_at = format_iso8601_ms(now_unix_ms() - 1000);
  auto source = std::make_unique<ScriptedSource>();
  auto* script = source.get();
  auto broker = std::make_shared<broker::MemoryBroker>();
  Bridge bridge;
  bridge.attach(*broker);
  auto parsed = streams::parse_config(kSignupsCollection, "signups.toml");
  if (auto* errors = std::get_if<std::vector<streams::ConfigError>>(&parsed))
    for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<streams::StreamsConfig>(parsed));
  auto reader = std::make_shared<RecordedCollection>(created_at);
  Worker::Options options;
  options.streams = streams_of(std::get<streams::StreamsConfig>(parsed));
  options.tables = reader;
  options.snapshot_interval = std::chrono::milliseconds(10);
  Worker w(std::move(source), broker, options);
  std::jthread runner([&w](std::stop_token st) { w.run(st); });

  auto signups = [&] {
    auto snaps = bridge.of("signups", "signup-snapshot");
    return snaps.empty() ? -1.0
                         : snaps.back().at("data").at("totals").at("signups").to_number<double>();
  };
  ASSERT_TRUE(eventually([&] { return signups() == 2.0; }));  // both documents found
  {
    std::lock_guard lock(reader->mutex);
    EXPECT_EQ(reader->reads, std::vector<std::string>{"signups by createdAt"});
  }
  // The first document's insert streamed again (it was not acknowledged), then a new one.
  // One batch: its snapshot shows both at once, 3 when the replay replaced, 4 if it added.
  script->push({recorded_signup_insert(created_at, ""),
                recorded_signup_insert(created_at, "6748a0f3c3b1e4a5d6f70813")});
  ASSERT_TRUE(eventually([&] { return script->acks().size() == 1; }));
  ASSERT_TRUE(eventually([&] { return signups() == 3.0; }));
  EXPECT_EQ(bridge.of("signups", "signup").size(), 2u);
  for (const auto& snap : bridge.of("signups", "signup-snapshot"))
    EXPECT_LE(snap.at("data").at("totals").at("signups").to_number<double>(), 3.0);
}

}  // namespace
}  // namespace pulseboard::worker
