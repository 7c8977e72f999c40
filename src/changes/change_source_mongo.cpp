// MongoDB change source: a change stream on the database, limited to the followed collections
// (the stream file's, or `orders`) and the delivery canary's heartbeat collection (`watch` with the
// pipeline, fullDocument: "updateLookup"), resumed after the last acknowledged resume token, which
// is kept in a file under the state directory. libmongoc is blocking, which suits the worker's own
// thread; getMore waits at most maxAwaitTimeMS.
#include <mongoc/mongoc.h>
#include <spdlog/spdlog.h>

#include <spdlog/fmt/ranges.h>

#include <mutex>
#include <string>
#include <vector>

#include "changes/change_source.hpp"
#include "changes/mongo_canary.hpp"
#include "changes/mongo_change_decoder.hpp"
#include "changes/mongo_oplog_headroom.hpp"
#include "changes/resume_token_file.hpp"
#include "changes/table_reader_mongo.hpp"
#include "common/clock.hpp"
#include "db/mongo.hpp"
#include "pipeline/pushdown_mongo.hpp"

namespace pulseboard::changes {
namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxAwaitMs = 200;
constexpr const char* kDefaultDatabase = "dashboard";

SourceError from_bson_error(const bson_error_t& error, const bson_t* reply) {
  // Server codes (280, 286, ...) only mean something in the server's domains; client-side
  // codes are small enums that could collide with them.
  if (reply && !bson_empty(reply)) {
    auto v = db::mongo::json_of(reply);
    if (v.contains("code")) return mongo_error_reply_to_source_error(v);
  }
  if (error.domain == MONGOC_ERROR_SERVER || error.domain == MONGOC_ERROR_QUERY)
    return mongo_error_to_source_error(static_cast<std::int32_t>(error.code), error.message);
  return SourceError{SourceError::Kind::unavailable, error.message};
}

// The oplog headroom behind the stored token (mongo_oplog_headroom.hpp), sampled every
// health_interval on the source's own client; a failed sample keeps the last one.
class OplogHealth {
 public:
  explicit OplogHealth(const SourceOptions& options) : options_(options) {}

  void maybe_sample(mongoc_client_t* client, const std::optional<std::string>& token) {
    const auto now = std::chrono::steady_clock::now();
    if (!client || !token || options_.health_interval.count() <= 0 || now < next_) return;
    next_ = now + options_.health_interval;
    bson_error_t err;
    auto command = db::mongo::document_from_json(oplog_first_entry_command(), &err);
    if (!command) return;
    bson_t reply;  // initialised by the call whatever happens
    const bool ok = mongoc_client_read_command_with_opts(client, "local", command.get(), nullptr,
                                                         nullptr, &reply, &err);
    auto replied = db::mongo::json_of(&reply);
    bson_destroy(&reply);
    auto headroom = ok ? oplog_headroom(*token, replied) : std::nullopt;
    if (!headroom) {
      spdlog::debug("worker: cannot read the oplog's oldest entry: {}",
                    ok ? "no entry" : err.message);
      return;
    }
    note(*headroom);
  }

  SourceHealth last() const {
    std::lock_guard lock(mutex_);
    return last_;
  }

 private:
  void note(const OplogHeadroom& headroom) {
    SourceHealth h;
    h.oplog_headroom_seconds = headroom.seconds;
    const auto min = static_cast<double>(options_.min_oplog_headroom.count());
    h.low_oplog_headroom = headroom.bounded && min > 0 && headroom.seconds < min;
    bool was_low = false;
    {
      std::lock_guard lock(mutex_);
      was_low = last_.low_oplog_headroom;
      last_ = h;
    }
    if (h.low_oplog_headroom && !was_low)
      spdlog::error(
          "worker: the stored resume token is {:.0f} s ahead of the oplog's oldest entry, under "
          "--min-oplog-headroom-s {}: if the worker stops for longer, it must resnapshot; "
          "delivery reported stale",
          headroom.seconds, options_.min_oplog_headroom.count());
    else if (!h.low_oplog_headroom && was_low)
      spdlog::info("worker: oplog headroom {:.0f} s again", headroom.seconds);
  }

  const SourceOptions& options_;
  std::chrono::steady_clock::time_point next_{};
  mutable std::mutex mutex_;
  SourceHealth last_;
};

class MongoChangeSource final : public ChangeSource {
 public:
  MongoChangeSource(std::string uri, const SourceOptions& options)
      : uri_text_(std::move(uri)),
        options_(options),
        tokens_(options.state_dir / "mongo-resume-token.json"),
        writer_id_(mongo_canary_writer_id()),
        oplog_(options_) {
    db::mongo::init_once();
  }
  ~MongoChangeSource() override { stop(); }

  std::string name() const override { return "mongo"; }
  bool pipeline_applied() const override { return options_.push_down; }

  std::optional<SourceError> start(std::optional<std::string> resume) override {
    stop();
    bson_error_t err;
    uri_.reset(mongoc_uri_new_with_error(uri_text_.c_str(), &err));
    if (!uri_) return SourceError{SourceError::Kind::unavailable, err.message};
    client_ = db::mongo::new_client(uri_.get(), "pulseboard-worker");
    if (!client_) return SourceError{SourceError::Kind::unavailable, "cannot create client"};
    database_.reset(mongoc_client_get_database(client_.get(), database_name()));

    std::optional<std::string> token;
    if (resume && *resume != kFromNow) {
      token = *resume;
    } else if (!resume) {
      auto stored = tokens_.load();
      if (auto* e = std::get_if<ResumeTokenFile::Error>(&stored))
        return SourceError{SourceError::Kind::unavailable, e->message};
      if (auto* t = std::get_if<std::string>(&stored)) token = *t;
    }
    if (token) acknowledged_ = token;
    if (auto e = open_stream(token)) {
      stop();
      return e;
    }
    spdlog::info("worker: mongo change stream on {}.{{{}}} (and {}) {}", database_name(),
                 fmt::join(collections(), ","), kMongoCanaryCollection,
                 token ? "resumed after " + *token : std::string("from now"));
    return std::nullopt;
  }

  std::variant<std::vector<ChangeEvent>, SourceError> poll(std::chrono::milliseconds max_wait,
                                                           std::size_t max_batch) override {
    if (!stream_) return SourceError{SourceError::Kind::unavailable, "mongo source not started"};
    oplog_.maybe_sample(client_.get(), acknowledged_);
    std::vector<ChangeEvent> out;
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    const bool projected = options_.push_down && pipeline::has_project(options_.pipeline);
    while (out.size() < max_batch) {
      const bson_t* doc = nullptr;
      if (!mongoc_change_stream_next(stream_.get(), &doc)) {
        bson_error_t err;
        const bson_t* reply = nullptr;
        if (mongoc_change_stream_error_document(stream_.get(), &err, &reply))
          return from_bson_error(err, reply);
        if (!out.empty() || std::chrono::steady_clock::now() >= deadline) break;
        continue;
      }
      json::object v = db::mongo::json_of(doc);
      if (v.empty()) return SourceError{SourceError::Kind::unavailable, "unreadable change event"};
      auto decoded = decode_mongo_change(v, projected);
      if (auto* e = std::get_if<SourceError>(&decoded)) {
        if (!out.empty()) break;  // hand out what came before; the error repeats on resume
        return *e;
      }
      out.push_back(std::get<ChangeEvent>(std::move(decoded)));
    }
    return out;
  }

  std::optional<SourceError> acknowledge(const std::string& position) override {
    if (auto e = tokens_.save(position))
      return SourceError{SourceError::Kind::unavailable, e->message};
    acknowledged_ = position;
    return std::nullopt;
  }

  // The heartbeat upsert (mongo_canary.hpp) on the source's own client: it comes back on the
  // change stream, which follows the heartbeat collection too.
  std::optional<std::string> emit_canary() override {
    if (!database_) return std::string("mongo source not started");
    bson_error_t err;
    auto command =
        db::mongo::document_from_json(mongo_canary_command(writer_id_, now_unix_ms()), &err);
    if (!command) return std::string(err.message);
    bson_t reply;
    const bool ok = mongoc_database_write_command_with_opts(database_.get(), command.get(), nullptr,
                                                            &reply, &err);
    auto replied = db::mongo::json_of(&reply);
    bson_destroy(&reply);
    if (!ok) return std::string(err.message);
    return mongo_write_reply_error(replied);
  }

  SourceHealth health() const override { return oplog_.last(); }

  void stop() override {
    // Children before parents: the stream and the database need their client.
    stream_.reset();
    database_.reset();
    client_.reset();
    uri_.reset();
  }

 private:
  const char* database_name() const {
    const char* db = uri_ ? mongoc_uri_get_database(uri_.get()) : nullptr;
    return db ? db : kDefaultDatabase;
  }

  // The collections followed: the stream file's (split as the rebuild reader splits a source,
  // mongo_namespace), or the one of the options when there is no file. Changes are routed to
  // streams by ns.coll.
  std::vector<std::string> collections() const {
    if (options_.tables.empty()) return {options_.collection};
    std::vector<std::string> names;
    for (const auto& t : options_.tables)
      names.push_back(mongo_namespace(t.name, database_name()).coll);
    return names;
  }

  // A database-level stream: the followed collections and the canary's (mongo_watch_pipeline).
  std::optional<SourceError> open_stream(const std::optional<std::string>& token) {
    json::object opts{{"fullDocument", "updateLookup"}, {"maxAwaitTimeMS", kMaxAwaitMs}};
    if (token) {
      boost::system::error_code ec;
      auto t = json::parse(*token, ec);
      if (ec || !t.is_object())
        return SourceError{SourceError::Kind::unavailable, "invalid resume token " + *token};
      opts["resumeAfter"] = t;
    }
    json::array stages = mongo_watch_pipeline(options_.pipeline, options_.push_down, collections());
    bson_error_t err;
    auto pipeline = db::mongo::document_from_json(json::object{{"pipeline", stages}}, &err);
    auto opts_bson = db::mongo::document_from_json(opts, &err);
    if (!pipeline || !opts_bson) return SourceError{SourceError::Kind::unavailable, err.message};
    stream_.reset(mongoc_database_watch(database_.get(), pipeline.get(), opts_bson.get()));
    const bson_t* reply = nullptr;
    if (mongoc_change_stream_error_document(stream_.get(), &err, &reply))
      return from_bson_error(err, reply);
    return std::nullopt;
  }

  std::string uri_text_;
  SourceOptions options_;
  ResumeTokenFile tokens_;
  const std::string writer_id_;
  // The last position stored (or resumed after): what the oplog headroom is measured from.
  std::optional<std::string> acknowledged_;
  OplogHealth oplog_;
  db::mongo::Uri uri_;
  db::mongo::Client client_;
  db::mongo::Database database_;
  db::mongo::ChangeStream stream_;
};

}  // namespace

std::unique_ptr<ChangeSource> make_mongo_source(std::string uri, const SourceOptions& options) {
  return std::make_unique<MongoChangeSource>(std::move(uri), options);
}

}  // namespace pulseboard::changes
