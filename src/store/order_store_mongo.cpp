// The MongoDB order store (libmongoc 1.23): collection `orders` with documents shaped as
// mongoose stores them ({_id, amount, status, category, createdAt: Date, updatedAt: Date}),
// so the article's change-stream worker reads them unchanged. libmongoc is blocking; the API
// already calls stores from its own thread pool, and mongoc_client_pool_t is thread-safe.
//
// Limits (docs/api.md): no server runs on the build machines, so this is exercised live only
// when PULSEBOARD_MONGO_URI is set. Idempotency is not transactional: the key is claimed
// first, then the order is inserted; a retry that races the first request before its insert
// lands gets `unavailable` (retry later), and a failed insert releases the key. Keys are kept
// per caller: `idempotency_keys` documents have _id {subject, key}.
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "db/mongo.hpp"
#include "store/cursor.hpp"
#include "store/order_store.hpp"

#include <mongoc/mongoc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace pulseboard::store {
namespace {

constexpr int kDuplicateKey = 11000;

// Owns a heap bson_t. (unique_ptr<bson_t> would drop bson_t's alignment attribute.)
class Bson {
 public:
  Bson() : doc_(bson_new()) {}
  ~Bson() { bson_destroy(doc_); }
  Bson(const Bson&) = delete;
  Bson& operator=(const Bson&) = delete;
  bson_t* get() const { return doc_; }

 private:
  bson_t* doc_;
};

void append(bson_t* doc, const char* key, std::string_view value) {
  bson_append_utf8(doc, key, -1, value.data(), int(value.size()));
}

// A key's document id: {subject, key}, so each caller has its own keys. Keys stored before
// keys had subjects have the key alone, a string, as their _id, and never collide with these.
void append_key_id(bson_t* doc, const IdempotencyKey& key) {
  bson_t id;
  BSON_APPEND_DOCUMENT_BEGIN(doc, "_id", &id);
  append(&id, "subject", key.subject);
  append(&id, "key", key.key);
  bson_append_document_end(doc, &id);
}

StoreError failure(const bson_error_t& error, std::string_view what) {
  if (error.domain == MONGOC_ERROR_SERVER_SELECTION || error.domain == MONGOC_ERROR_STREAM) {
    spdlog::warn("mongo store: {} failed (will retry later): {}", what, error.message);
    return StoreError::unavailable;
  }
  spdlog::error("mongo store: {} failed: {}", what, error.message);
  return StoreError::internal;
}

std::optional<Order> read_order(const bson_t* doc) {
  Order order;
  bson_iter_t it;
  auto utf8 = [&](const char* key) -> std::optional<std::string> {
    if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_UTF8(&it)) return std::nullopt;
    uint32_t len = 0;
    const char* s = bson_iter_utf8(&it, &len);
    return std::string(s, len);
  };
  auto date = [&](const char* key) -> std::optional<std::int64_t> {
    if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_DATE_TIME(&it)) return std::nullopt;
    return bson_iter_date_time(&it);
  };
  auto id = utf8("_id");
  auto status = utf8("status");
  auto category = utf8("category");
  auto created = date("createdAt");
  auto updated = date("updatedAt");
  if (!id || !status || !category || !created || !updated) return std::nullopt;
  if (!bson_iter_init_find(&it, doc, "amount") || !BSON_ITER_HOLDS_NUMBER(&it)) return std::nullopt;
  auto parsed_status = parse_order_status(*status);
  if (!parsed_status) return std::nullopt;
  return Order{*id, bson_iter_as_double(&it), *parsed_status, *category, *created, *updated};
}

// A client popped from the pool for one call, with the two collections it needs.
class Session {
 public:
  Session(mongoc_client_pool_t* pool, const std::string& db)
      : pool_(pool), client_(mongoc_client_pool_pop(pool)) {
    orders_ = mongoc_client_get_collection(client_, db.c_str(), "orders");
    keys_ = mongoc_client_get_collection(client_, db.c_str(), "idempotency_keys");
  }
  ~Session() {
    mongoc_collection_destroy(orders_);
    mongoc_collection_destroy(keys_);
    mongoc_client_pool_push(pool_, client_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  mongoc_collection_t* orders() const { return orders_; }
  mongoc_collection_t* keys() const { return keys_; }

 private:
  mongoc_client_pool_t* pool_;
  mongoc_client_t* client_;
  mongoc_collection_t* orders_;
  mongoc_collection_t* keys_;
};

// Runs a find and reads every document as an order.
StoreResult<std::vector<Order>> find_orders(mongoc_collection_t* coll, const bson_t* filter,
                                            const bson_t* opts) {
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(coll, filter, opts, nullptr);
  std::vector<Order> out;
  const bson_t* doc = nullptr;
  bool bad_doc = false;
  while (mongoc_cursor_next(cursor, &doc)) {
    auto order = read_order(doc);
    if (!order)
      bad_doc = true;
    else
      out.push_back(std::move(*order));
  }
  bson_error_t error;
  const bool failed = mongoc_cursor_error(cursor, &error);
  mongoc_cursor_destroy(cursor);
  if (failed) return failure(error, "find orders");
  if (bad_doc) {
    spdlog::error("mongo store: an order document does not have the expected shape");
    return StoreError::internal;
  }
  return out;
}

StoreResult<Order> find_one(mongoc_collection_t* coll, const std::string& id) {
  Bson filter;
  append(filter.get(), "_id", id);
  auto found = find_orders(coll, filter.get(), nullptr);
  if (auto* err = std::get_if<StoreError>(&found)) return *err;
  auto& orders = std::get<std::vector<Order>>(found);
  if (orders.empty()) return StoreError::not_found;
  return std::move(orders.front());
}

class MongoOrderStore final : public OrderStore {
 public:
  MongoOrderStore(mongoc_uri_t* uri, std::string db)
      : uri_(uri), pool_(db::mongo::new_pool(uri)), db_(std::move(db)) {
    mongoc_client_pool_set_error_api(pool_, MONGOC_ERROR_API_VERSION_2);
    // Bounds how many threads can hold a client at once; the rest wait in pop().
    mongoc_client_pool_max_size(pool_, 8);
  }
  ~MongoOrderStore() override {
    mongoc_client_pool_destroy(pool_);
    mongoc_uri_destroy(uri_);
  }

  StoreResult<Created> create(const NewOrder& in, std::optional<IdempotencyKey> key,
                              std::string request_hash) override {
    Session s(pool_, db_);
    const std::int64_t now = now_unix_ms();
    Order order{random_id20(), in.amount, in.status, in.category, now, now};
    bson_error_t error;
    if (key) {
      // A key stored before keys had subjects counts only for the request it stored.
      Bson legacy;
      append(legacy.get(), "_id", key->key);
      append(legacy.get(), "requestHash", request_hash);
      auto seen = read_key(s, legacy.get());
      if (auto* err = std::get_if<StoreError>(&seen)) return *err;
      if (std::get<std::optional<KeyRecord>>(seen)) return replay(s, legacy.get(), request_hash);

      Bson claim;
      append_key_id(claim.get(), *key);
      append(claim.get(), "requestHash", request_hash);
      append(claim.get(), "orderId", order.id);
      BSON_APPEND_DATE_TIME(claim.get(), "createdAt", now);
      if (!mongoc_collection_insert_one(s.keys(), claim.get(), nullptr, nullptr, &error)) {
        if (error.code != kDuplicateKey) return failure(error, "claim idempotency key");
        Bson filter;
        append_key_id(filter.get(), *key);
        return replay(s, filter.get(), request_hash);
      }
    }
    Bson doc;
    append(doc.get(), "_id", order.id);
    BSON_APPEND_DOUBLE(doc.get(), "amount", order.amount);
    append(doc.get(), "status", to_string(order.status));
    append(doc.get(), "category", order.category);
    BSON_APPEND_DATE_TIME(doc.get(), "createdAt", now);
    BSON_APPEND_DATE_TIME(doc.get(), "updatedAt", now);
    if (!mongoc_collection_insert_one(s.orders(), doc.get(), nullptr, nullptr, &error)) {
      if (key) release_key(s, *key);
      return failure(error, "insert order");
    }
    return Created{std::move(order), true};
  }

  StoreResult<Order> update(const std::string& id, const OrderPatch& patch) override {
    Session s(pool_, db_);
    Bson query;
    append(query.get(), "_id", id);
    Bson update;
    bson_t set;
    BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
    if (patch.status) append(&set, "status", to_string(*patch.status));
    if (patch.amount) BSON_APPEND_DOUBLE(&set, "amount", *patch.amount);
    bson_append_document_end(update.get(), &set);
    // $max keeps updatedAt from moving backwards if the wall clock does.
    bson_t max;
    BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$max", &max);
    BSON_APPEND_DATE_TIME(&max, "updatedAt", now_unix_ms());
    bson_append_document_end(update.get(), &max);

    mongoc_find_and_modify_opts_t* opts = mongoc_find_and_modify_opts_new();
    mongoc_find_and_modify_opts_set_update(opts, update.get());
    mongoc_find_and_modify_opts_set_flags(opts, MONGOC_FIND_AND_MODIFY_RETURN_NEW);
    bson_t reply;
    bson_error_t error;
    const bool ok =
        mongoc_collection_find_and_modify_with_opts(s.orders(), query.get(), opts, &reply, &error);
    mongoc_find_and_modify_opts_destroy(opts);
    StoreResult<Order> result = StoreError::internal;
    bson_iter_t it;
    if (!ok) {
      result = failure(error, "update order");
    } else if (!bson_iter_init_find(&it, &reply, "value") || !BSON_ITER_HOLDS_DOCUMENT(&it)) {
      result = StoreError::not_found;  // value is null when no document matched
    } else {
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&it, &len, &data);
      bson_t value;
      if (bson_init_static(&value, data, len)) {
        if (auto order = read_order(&value)) result = std::move(*order);
      }
    }
    bson_destroy(&reply);
    return result;
  }

  StoreResult<Order> get(const std::string& id) override {
    Session s(pool_, db_);
    return find_one(s.orders(), id);
  }

  StoreResult<OrderPage> list(const ListQuery& q) override {
    std::optional<CursorPosition> after;
    if (q.cursor) {
      after = decode_cursor(*q.cursor);
      if (!after) return StoreError::invalid_cursor;
    }
    const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 1000);
    Bson filter;
    if (q.status) append(filter.get(), "status", to_string(*q.status));
    if (q.category) append(filter.get(), "category", *q.category);
    if (q.from_ms || q.to_ms) {
      bson_t range;
      BSON_APPEND_DOCUMENT_BEGIN(filter.get(), "createdAt", &range);
      if (q.from_ms) BSON_APPEND_DATE_TIME(&range, "$gte", *q.from_ms);
      if (q.to_ms) BSON_APPEND_DATE_TIME(&range, "$lt", *q.to_ms);
      bson_append_document_end(filter.get(), &range);
    }
    if (after) {
      // (createdAt, _id) < (after): {$or: [{createdAt: {$lt: t}}, {createdAt: t, _id: {$lt: id}}]}
      bson_t any, first, second, lt;
      BSON_APPEND_ARRAY_BEGIN(filter.get(), "$or", &any);
      BSON_APPEND_DOCUMENT_BEGIN(&any, "0", &first);
      BSON_APPEND_DOCUMENT_BEGIN(&first, "createdAt", &lt);
      BSON_APPEND_DATE_TIME(&lt, "$lt", after->created_at_ms);
      bson_append_document_end(&first, &lt);
      bson_append_document_end(&any, &first);
      BSON_APPEND_DOCUMENT_BEGIN(&any, "1", &second);
      BSON_APPEND_DATE_TIME(&second, "createdAt", after->created_at_ms);
      BSON_APPEND_DOCUMENT_BEGIN(&second, "_id", &lt);
      append(&lt, "$lt", after->id);
      bson_append_document_end(&second, &lt);
      bson_append_document_end(&any, &second);
      bson_append_array_end(filter.get(), &any);
    }
    Bson opts;
    bson_t sort;
    BSON_APPEND_DOCUMENT_BEGIN(opts.get(), "sort", &sort);
    BSON_APPEND_INT32(&sort, "createdAt", -1);
    BSON_APPEND_INT32(&sort, "_id", -1);
    bson_append_document_end(opts.get(), &sort);
    BSON_APPEND_INT64(opts.get(), "limit", static_cast<std::int64_t>(limit + 1));

    Session s(pool_, db_);
    auto found = find_orders(s.orders(), filter.get(), opts.get());
    if (auto* err = std::get_if<StoreError>(&found)) return *err;
    OrderPage page{std::move(std::get<std::vector<Order>>(found)), std::nullopt};
    if (page.orders.size() > limit) {
      page.orders.resize(limit);
      page.next_cursor = encode_cursor(page.orders.back().created_at_ms, page.orders.back().id);
    }
    return page;
  }

 private:
  struct KeyRecord {
    std::string request_hash, order_id;
  };

  // The idempotency key document that `filter` selects, if there is one.
  static StoreResult<std::optional<KeyRecord>> read_key(Session& s, const bson_t* filter) {
    mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(s.keys(), filter, nullptr, nullptr);
    const bson_t* doc = nullptr;
    std::optional<KeyRecord> record;
    if (mongoc_cursor_next(cursor, &doc)) {
      bson_iter_t it;
      uint32_t len = 0;
      KeyRecord r;
      bool complete = true;
      if (bson_iter_init_find(&it, doc, "requestHash") && BSON_ITER_HOLDS_UTF8(&it))
        r.request_hash = std::string(bson_iter_utf8(&it, &len), len);
      else
        complete = false;
      if (bson_iter_init_find(&it, doc, "orderId") && BSON_ITER_HOLDS_UTF8(&it))
        r.order_id = std::string(bson_iter_utf8(&it, &len), len);
      else
        complete = false;
      if (complete) record = std::move(r);
    }
    bson_error_t error;
    const bool failed = mongoc_cursor_error(cursor, &error);
    mongoc_cursor_destroy(cursor);
    if (failed) return failure(error, "read idempotency key");
    return record;
  }

  // The original order of the key that `filter` selects, for a request with `hash`.
  StoreResult<Created> replay(Session& s, const bson_t* filter, const std::string& hash) {
    auto seen = read_key(s, filter);
    if (auto* err = std::get_if<StoreError>(&seen)) return *err;
    const auto& record = std::get<std::optional<KeyRecord>>(seen);
    // The claim vanished (its creator failed and released it): let the client retry.
    if (!record) return StoreError::unavailable;
    if (record->request_hash != hash) return StoreError::idempotency_conflict;
    // not_found: the first request has claimed the key but not yet inserted its order; give
    // it a bounded moment (20 x 25 ms) before asking the client to retry.
    for (int attempt = 0;; ++attempt) {
      auto original = find_one(s.orders(), record->order_id);
      if (auto* order = std::get_if<Order>(&original)) return Created{std::move(*order), false};
      const StoreError err = std::get<StoreError>(original);
      if (err != StoreError::not_found) return err;
      if (attempt == 20) return StoreError::unavailable;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }

  void release_key(Session& s, const IdempotencyKey& key) {
    Bson filter;
    append_key_id(filter.get(), key);
    bson_error_t error;
    if (!mongoc_collection_delete_one(s.keys(), filter.get(), nullptr, nullptr, &error))
      spdlog::warn("mongo store: could not release idempotency key: {}", error.message);
  }

  mongoc_uri_t* uri_;
  mongoc_client_pool_t* pool_;
  std::string db_;
};

}  // namespace

std::unique_ptr<OrderStore> open_mongo_store(const std::string& uri_text) {
  db::mongo::init_once();
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(uri_text.c_str(), &error);
  if (!uri)
    throw std::invalid_argument("DATABASE_URL is not a valid MongoDB URI: " +
                                std::string(error.message));
  const char* db = mongoc_uri_get_database(uri);
  return std::make_unique<MongoOrderStore>(uri, db && *db ? db : "dashboard");
}

}  // namespace pulseboard::store
