// MongoDB change source: a change stream on the orders collection (`watch` with the pipeline,
// fullDocument: "updateLookup"), resumed after the last acknowledged resume token, which is
// kept in a file under the state directory. libmongoc is blocking, which suits the worker's own
// thread; getMore waits at most maxAwaitTimeMS.
#include <mongoc/mongoc.h>
#include <spdlog/spdlog.h>

#include "changes/change_source.hpp"
#include "changes/mongo_change_decoder.hpp"
#include "changes/resume_token_file.hpp"
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
    char* text = bson_as_relaxed_extended_json(reply, nullptr);
    boost::system::error_code ec;
    auto v = json::parse(text ? text : "", ec);
    bson_free(text);
    if (!ec && v.is_object() && v.as_object().contains("code"))
      return mongo_error_reply_to_source_error(v.as_object());
  }
  if (error.domain == MONGOC_ERROR_SERVER || error.domain == MONGOC_ERROR_QUERY)
    return mongo_error_to_source_error(static_cast<std::int32_t>(error.code), error.message);
  return SourceError{SourceError::Kind::unavailable, error.message};
}

class MongoChangeSource final : public ChangeSource {
 public:
  MongoChangeSource(std::string uri, const SourceOptions& options)
      : uri_text_(std::move(uri)),
        options_(options),
        tokens_(options.state_dir / "mongo-resume-token.json") {
    db::mongo::init_once();
  }
  ~MongoChangeSource() override { stop(); }

  std::string name() const override { return "mongo"; }

  // One collection of the stream file (or `orders`): that collection's change stream, as
  // before. Several: the database's, with a first stage keeping only their changes.
  std::string watched_collection() const {
    if (options_.tables.empty()) return options_.collection;
    const std::string& name = options_.tables.front().name;
    const auto dot = name.rfind('.');
    return dot == std::string::npos ? name : name.substr(dot + 1);
  }

  std::string collection_names() const {
    std::string out;
    for (const auto& t : options_.tables) out += (out.empty() ? "" : ",") + t.name;
    return out;
  }

  json::object collections_match() const {
    json::array names;
    for (const auto& t : options_.tables) {
      const auto dot = t.name.rfind('.');
      names.emplace_back(dot == std::string::npos ? t.name : t.name.substr(dot + 1));
    }
    return json::object{{"$match", json::object{{"ns.coll", json::object{{"$in", names}}}}}};
  }

  mongoc_change_stream_t* watch(const char* db, const bson_t* pipeline, const bson_t* opts) {
    if (options_.tables.size() <= 1)
      return mongoc_collection_watch(collection_.get(), pipeline, opts);
    database_.reset(mongoc_client_get_database(client_.get(), db));
    return mongoc_database_watch(database_.get(), pipeline, opts);
  }
  bool pipeline_applied() const override { return options_.push_down; }

  std::optional<SourceError> start(std::optional<std::string> resume) override {
    stop();
    bson_error_t err;
    uri_.reset(mongoc_uri_new_with_error(uri_text_.c_str(), &err));
    if (!uri_) return SourceError{SourceError::Kind::unavailable, err.message};
    client_ = db::mongo::new_client(uri_.get(), "pulseboard-worker");
    if (!client_) return SourceError{SourceError::Kind::unavailable, "cannot create client"};
    const char* db = mongoc_uri_get_database(uri_.get());
    collection_.reset(mongoc_client_get_collection(client_.get(), db ? db : kDefaultDatabase,
                                                   watched_collection().c_str()));

    std::optional<std::string> token;
    if (resume && *resume != kFromNow) {
      token = *resume;
    } else if (!resume) {
      auto stored = tokens_.load();
      if (auto* e = std::get_if<ResumeTokenFile::Error>(&stored))
        return SourceError{SourceError::Kind::unavailable, e->message};
      if (auto* t = std::get_if<std::string>(&stored)) token = *t;
    }

    json::object opts{{"fullDocument", "updateLookup"}, {"maxAwaitTimeMS", kMaxAwaitMs}};
    if (token) {
      boost::system::error_code ec;
      auto t = json::parse(*token, ec);
      if (ec || !t.is_object())
        return SourceError{SourceError::Kind::unavailable, "invalid resume token " + *token};
      opts["resumeAfter"] = t;
    }
    json::array stages =
        options_.push_down ? pipeline::mongo_server_pipeline(options_.pipeline) : json::array{};
    if (options_.tables.size() > 1) stages.insert(stages.begin(), collections_match());
    auto pipeline = db::mongo::document_from_json(json::object{{"pipeline", stages}}, &err);
    auto opts_bson = db::mongo::document_from_json(opts, &err);
    if (!pipeline || !opts_bson) return SourceError{SourceError::Kind::unavailable, err.message};
    stream_.reset(watch(db ? db : kDefaultDatabase, pipeline.get(), opts_bson.get()));
    const bson_t* reply = nullptr;
    if (mongoc_change_stream_error_document(stream_.get(), &err, &reply)) {
      auto e = from_bson_error(err, reply);
      stop();
      return e;
    }
    spdlog::info("worker: mongo change stream on {}.{} {}", db ? db : kDefaultDatabase,
                 options_.tables.size() > 1 ? "{" + collection_names() + "}" : watched_collection(),
                 token ? "resumed after " + *token : std::string("from now"));
    return std::nullopt;
  }

  std::variant<std::vector<ChangeEvent>, SourceError> poll(std::chrono::milliseconds max_wait,
                                                           std::size_t max_batch) override {
    if (!stream_) return SourceError{SourceError::Kind::unavailable, "mongo source not started"};
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
      char* text = bson_as_relaxed_extended_json(doc, nullptr);
      boost::system::error_code ec;
      auto v = json::parse(text ? text : "", ec);
      bson_free(text);
      if (ec || !v.is_object())
        return SourceError{SourceError::Kind::unavailable, "unreadable change event"};
      auto decoded = decode_mongo_change(v.as_object(), projected);
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
    return std::nullopt;
  }

  void stop() override {
    // Children before parents: the stream needs its collection, the collection its client.
    stream_.reset();
    collection_.reset();
    database_.reset();
    client_.reset();
    uri_.reset();
  }

 private:
  std::string uri_text_;
  SourceOptions options_;
  ResumeTokenFile tokens_;
  db::mongo::Uri uri_;
  db::mongo::Client client_;
  db::mongo::Collection collection_;
  // The database whose change stream is watched when the file names several collections.
  std::unique_ptr<mongoc_database_t, decltype(&mongoc_database_destroy)> database_{
      nullptr, &mongoc_database_destroy};
  db::mongo::ChangeStream stream_;
};

}  // namespace

std::unique_ptr<ChangeSource> make_mongo_source(std::string uri, const SourceOptions& options) {
  return std::make_unique<MongoChangeSource>(std::move(uri), options);
}

}  // namespace pulseboard::changes
