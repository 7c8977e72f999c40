// MongoDB change source: a change stream on the orders collection (`watch` with the pipeline,
// fullDocument: "updateLookup"), resumed after the last acknowledged resume token, which is
// kept in a file under the state directory. libmongoc is blocking, which suits the worker's own
// thread; getMore waits at most maxAwaitTimeMS.
#include <mongoc/mongoc.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "worker/change_source.hpp"
#include "worker/mongo_change_decoder.hpp"
#include "worker/resume_token_file.hpp"

namespace pulseboard::worker {
namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxAwaitMs = 200;
constexpr const char* kDefaultDatabase = "dashboard";

void init_mongoc_once() {
  static std::once_flag once;
  std::call_once(once, [] { mongoc_init(); });
}

struct Bson {
  bson_t* b = nullptr;
  explicit Bson(bson_t* p) : b(p) {}
  ~Bson() {
    if (b) bson_destroy(b);
  }
  Bson(const Bson&) = delete;
  Bson& operator=(const Bson&) = delete;
};

Bson bson_from(const json::value& v, bson_error_t* err) {
  const std::string text = json::serialize(v);
  return Bson(bson_new_from_json(reinterpret_cast<const uint8_t*>(text.data()),
                                 static_cast<ssize_t>(text.size()), err));
}

// The pipeline the server runs. An inclusion $project also keeps clusterTime and wallTime so
// committedAt survives the projection (the decoder strips them again).
json::array server_pipeline(const Pipeline& pipeline) {
  json::array stages = pipeline.to_json();
  if (stages.empty()) return stages;
  json::object& last = stages.back().as_object();
  if (auto* spec = last.if_contains("$project")) {
    bool exclusion = false;
    for (auto& kv : spec->as_object())
      if (kv.key() != "_id" && (kv.value().is_bool() || kv.value().is_number()) &&
          !(kv.value().is_bool() ? kv.value().as_bool() : kv.value().to_number<double>() != 0))
        exclusion = true;
    if (!exclusion) {
      spec->as_object()["clusterTime"] = 1;
      spec->as_object()["wallTime"] = 1;
    }
  }
  return stages;
}

bool has_project(const Pipeline& p) {
  for (auto& s : p.stages())
    if (s.kind == Pipeline::Stage::Kind::project) return true;
  return false;
}

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
    init_mongoc_once();
  }
  ~MongoChangeSource() override { stop(); }

  std::string name() const override { return "mongo"; }
  bool pipeline_applied() const override { return options_.push_down; }

  std::optional<SourceError> start(std::optional<std::string> resume) override {
    stop();
    bson_error_t err;
    uri_ = mongoc_uri_new_with_error(uri_text_.c_str(), &err);
    if (!uri_) return SourceError{SourceError::Kind::unavailable, err.message};
    client_ = mongoc_client_new_from_uri(uri_);
    if (!client_) return SourceError{SourceError::Kind::unavailable, "cannot create client"};
    mongoc_client_set_appname(client_, "pulseboard-worker");
    const char* db = mongoc_uri_get_database(uri_);
    collection_ = mongoc_client_get_collection(client_, db ? db : kDefaultDatabase,
                                               options_.collection.c_str());

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
    json::array stages = options_.push_down ? server_pipeline(options_.pipeline) : json::array{};
    Bson pipeline = bson_from(json::object{{"pipeline", stages}}, &err);
    Bson opts_bson = bson_from(opts, &err);
    if (!pipeline.b || !opts_bson.b)
      return SourceError{SourceError::Kind::unavailable, err.message};
    stream_ = mongoc_collection_watch(collection_, pipeline.b, opts_bson.b);
    const bson_t* reply = nullptr;
    if (mongoc_change_stream_error_document(stream_, &err, &reply)) {
      auto e = from_bson_error(err, reply);
      stop();
      return e;
    }
    spdlog::info("worker: mongo change stream on {}.{} {}", db ? db : kDefaultDatabase,
                 options_.collection, token ? "resumed after " + *token : std::string("from now"));
    return std::nullopt;
  }

  std::variant<std::vector<ChangeEvent>, SourceError> poll(std::chrono::milliseconds max_wait,
                                                           std::size_t max_batch) override {
    if (!stream_) return SourceError{SourceError::Kind::unavailable, "mongo source not started"};
    std::vector<ChangeEvent> out;
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    const bool projected = options_.push_down && has_project(options_.pipeline);
    while (out.size() < max_batch) {
      const bson_t* doc = nullptr;
      if (!mongoc_change_stream_next(stream_, &doc)) {
        bson_error_t err;
        const bson_t* reply = nullptr;
        if (mongoc_change_stream_error_document(stream_, &err, &reply))
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
    if (stream_) mongoc_change_stream_destroy(stream_);
    if (collection_) mongoc_collection_destroy(collection_);
    if (client_) mongoc_client_destroy(client_);
    if (uri_) mongoc_uri_destroy(uri_);
    stream_ = nullptr;
    collection_ = nullptr;
    client_ = nullptr;
    uri_ = nullptr;
  }

 private:
  std::string uri_text_;
  SourceOptions options_;
  ResumeTokenFile tokens_;
  mongoc_uri_t* uri_ = nullptr;
  mongoc_client_t* client_ = nullptr;
  mongoc_collection_t* collection_ = nullptr;
  mongoc_change_stream_t* stream_ = nullptr;
};

}  // namespace

std::unique_ptr<ChangeSource> make_mongo_source(std::string uri, const SourceOptions& options) {
  return std::make_unique<MongoChangeSource>(std::move(uri), options);
}

}  // namespace pulseboard::worker
