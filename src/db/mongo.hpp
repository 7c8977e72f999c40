#pragma once
// Thin RAII over libmongoc for the order store and the change source: the library's one-time
// initialisation, and owning handles that destroy on every path.
#include <mongoc/mongoc.h>

#include <boost/json.hpp>
#include <memory>
#include <utility>

namespace pulseboard::db::mongo {

// mongoc_init() exactly once per process, whichever of the store and the source comes first.
void init_once();

template <class T, void (*Destroy)(T*)>
struct Destroyer {
  void operator()(T* p) const {
    if (p) Destroy(p);
  }
};
using Uri = std::unique_ptr<mongoc_uri_t, Destroyer<mongoc_uri_t, mongoc_uri_destroy>>;
using Client = std::unique_ptr<mongoc_client_t, Destroyer<mongoc_client_t, mongoc_client_destroy>>;
using Database =
    std::unique_ptr<mongoc_database_t, Destroyer<mongoc_database_t, mongoc_database_destroy>>;
using Collection =
    std::unique_ptr<mongoc_collection_t, Destroyer<mongoc_collection_t, mongoc_collection_destroy>>;
using ChangeStream =
    std::unique_ptr<mongoc_change_stream_t,
                    Destroyer<mongoc_change_stream_t, mongoc_change_stream_destroy>>;
// An owned BSON document. bson_t is over-aligned, which a template argument cannot carry, so
// this is a small class instead of a unique_ptr.
class Document {
 public:
  explicit Document(bson_t* doc = nullptr) : doc_(doc) {}
  ~Document() {
    if (doc_) bson_destroy(doc_);
  }
  Document(Document&& other) noexcept : doc_(std::exchange(other.doc_, nullptr)) {}
  Document& operator=(Document&&) = delete;
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  bson_t* get() const { return doc_; }
  explicit operator bool() const { return doc_ != nullptr; }

 private:
  bson_t* doc_;
};

// A client for one thread (the change source), or a pool that hands clients to many (the
// store). Both connect lazily, at their first command; null when libmongoc refuses the URI.
Client new_client(const mongoc_uri_t* uri, const char* appname);
mongoc_client_pool_t* new_pool(const mongoc_uri_t* uri);

// A BSON document from JSON (canonical or relaxed extended JSON); null with *error set when the
// text is not a document.
Document document_from_json(const boost::json::value& value, bson_error_t* error);

// A BSON document as JSON (relaxed Extended JSON); empty when it does not render as an object.
boost::json::object json_of(const bson_t* doc);

}  // namespace pulseboard::db::mongo
