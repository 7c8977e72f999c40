#include "changes/table_reader_mongo.hpp"

#include <mongoc/mongoc.h>

#include "changes/mongo_change_decoder.hpp"
#include "db/mongo.hpp"

namespace pulseboard::changes {
namespace json = boost::json;

namespace {

constexpr const char* kDefaultDatabase = "dashboard";  // as the change source's
constexpr std::string_view kRebuildPosition = "rebuild";

using Cursor =
    std::unique_ptr<mongoc_cursor_t, db::mongo::Destroyer<mongoc_cursor_t, mongoc_cursor_destroy>>;

class MongoTableReader final : public TableReader {
 public:
  explicit MongoTableReader(std::string uri) : uri_text_(std::move(uri)) { db::mongo::init_once(); }
  ~MongoTableReader() override {
    client_.reset();  // before the URI it was made from
  }

  std::optional<std::string> reachable() override {
    std::string error;
    if (!open(error)) return error;
    bson_error_t err;
    auto ping = db::mongo::document_from_json(json::object{{"ping", 1}}, &err);
    if (!ping) return std::string(err.message);
    bson_t reply;  // initialised by the call whatever happens
    const bool ok =
        mongoc_client_command_simple(client_.get(), "admin", ping.get(), nullptr, &reply, &err);
    bson_destroy(&reply);
    if (!ok) return std::string(err.message);
    return std::nullopt;
  }

  // Collections declare no columns: nothing for the start-up checks to hold the file against.
  std::variant<std::vector<std::string>, std::string> columns(const std::string&) override {
    return std::vector<std::string>{};
  }

  std::variant<std::vector<ChangeEvent>, std::string> newest(const std::string& collection,
                                                             const std::string& field,
                                                             std::size_t limit) override {
    std::string error;
    if (!open(error)) return error;
    const MongoNamespace ns = mongo_namespace(collection, database_name());
    bson_error_t err;
    auto filter = db::mongo::document_from_json(json::object{}, &err);
    auto opts = db::mongo::document_from_json(mongo_newest_find_options(field, limit), &err);
    if (!filter || !opts) return "reading " + collection + ": " + err.message;
    db::mongo::Collection coll(
        mongoc_client_get_collection(client_.get(), ns.db.c_str(), ns.coll.c_str()));
    Cursor cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
    std::vector<ChangeEvent> out;
    const bson_t* doc = nullptr;
    while (mongoc_cursor_next(cursor.get(), &doc))
      if (auto e = mongo_rebuild_event(db::mongo::json_of(doc), ns)) out.push_back(std::move(*e));
    if (mongoc_cursor_error(cursor.get(), &err))
      return "reading " + ns.db + "." + ns.coll + ": " + err.message;
    return out;
  }

 private:
  const char* database_name() const {
    const char* db = uri_ ? mongoc_uri_get_database(uri_.get()) : nullptr;
    return db ? db : kDefaultDatabase;
  }

  bool open(std::string& error) {
    if (client_) return true;
    bson_error_t err;
    uri_.reset(mongoc_uri_new_with_error(uri_text_.c_str(), &err));
    if (!uri_) {
      error = err.message;
      return false;
    }
    client_ = db::mongo::new_client(uri_.get(), "pulseboard-worker-rebuild");
    if (!client_) error = "cannot create a MongoDB client";
    return client_ != nullptr;
  }

  std::string uri_text_;
  db::mongo::Uri uri_;
  db::mongo::Client client_;
};

}  // namespace

MongoNamespace mongo_namespace(std::string_view source, std::string_view default_database) {
  const auto dot = source.find('.');
  if (dot == std::string_view::npos) return {std::string(default_database), std::string(source)};
  return {std::string(source.substr(0, dot)), std::string(source.substr(dot + 1))};
}

json::object mongo_newest_find_options(std::string_view field, std::size_t limit) {
  return json::object{{"sort", json::object{{field, -1}}},
                      {"limit", static_cast<std::int64_t>(limit)}};
}

json::object mongo_insert_change_of(const json::object& document, const MongoNamespace& ns) {
  json::object key;
  if (auto* id = document.if_contains("_id")) key["_id"] = *id;
  return json::object{{"_id", json::object{{"_data", kRebuildPosition}}},
                      {"operationType", "insert"},
                      {"fullDocument", document},
                      {"ns", json::object{{"db", ns.db}, {"coll", ns.coll}}},
                      {"documentKey", std::move(key)}};
}

std::optional<ChangeEvent> mongo_rebuild_event(const json::object& document,
                                               const MongoNamespace& ns) {
  if (!document.contains("_id")) return std::nullopt;
  auto decoded = decode_mongo_change(mongo_insert_change_of(document, ns), false);
  auto* e = std::get_if<ChangeEvent>(&decoded);
  if (!e || e->canary) return std::nullopt;
  // The position the SQL readers' rows have; the worker gives each its rebuild event id.
  e->position = kRebuildPosition;
  e->event_id.clear();
  e->document["_id"] = json::object{{"position", kRebuildPosition}};
  return std::move(*e);
}

std::unique_ptr<TableReader> make_mongo_table_reader(std::string uri) {
  return std::make_unique<MongoTableReader>(std::move(uri));
}

}  // namespace pulseboard::changes
