#include "db/mongo.hpp"

#include <mutex>
#include <string>

namespace pulseboard::db::mongo {

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] { mongoc_init(); });
}

Client new_client(const mongoc_uri_t* uri, const char* appname) {
  Client client(mongoc_client_new_from_uri(uri));
  if (client) mongoc_client_set_appname(client.get(), appname);
  return client;
}

mongoc_client_pool_t* new_pool(const mongoc_uri_t* uri) {
  return mongoc_client_pool_new(uri);
}

Document document_from_json(const boost::json::value& value, bson_error_t* error) {
  const std::string text = boost::json::serialize(value);
  return Document(bson_new_from_json(reinterpret_cast<const uint8_t*>(text.data()),
                                     static_cast<ssize_t>(text.size()), error));
}

boost::json::object json_of(const bson_t* doc) {
  char* text = doc ? bson_as_relaxed_extended_json(doc, nullptr) : nullptr;
  boost::system::error_code ec;
  auto v = boost::json::parse(text ? text : "", ec);
  bson_free(text);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

}  // namespace pulseboard::db::mongo
