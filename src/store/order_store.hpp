#pragma once
// The Store seam (docs/architecture.md, Seams): what the API writes orders through.
// Implementations: SQLite (order_store_sqlite.cpp), PostgreSQL (order_store_postgres.cpp),
// MongoDB (order_store_mongo.cpp). Calls block; the API runs them on its own thread pool. Every
// implementation is safe to call from several threads at once.
#include "store/order.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace pulseboard::store {

struct NewOrder {
  double amount = 0;
  OrderStatus status = OrderStatus::pending;
  std::string category;
};

struct OrderPatch {
  std::optional<OrderStatus> status;
  std::optional<double> amount;
};

// Filters combine with AND. Time range is on created_at: from_ms inclusive, to_ms exclusive.
// Results are newest first: ORDER BY created_at DESC, id DESC.
struct ListQuery {
  std::optional<OrderStatus> status;
  std::optional<std::string> category;
  std::optional<std::int64_t> from_ms, to_ms;
  std::size_t limit = 50;
  std::optional<std::string> cursor;  // next_cursor of the previous page, see cursor.hpp
};

struct OrderPage {
  std::vector<Order> orders;
  std::optional<std::string> next_cursor;  // absent on the last page
};

enum class StoreError {
  not_found,
  idempotency_conflict,  // key already used with a different request
  invalid_cursor,        // a cursor this store never issued
  unavailable,           // database unreachable or busy; retrying later may succeed
  internal,              // anything else (logged by the store)
};
std::string_view to_string(StoreError error);

template <class T>
using StoreResult = std::variant<T, StoreError>;

// An Idempotency-Key as its caller owns it: the same key from two subjects names two
// different requests, so no caller can claim or probe another's keys.
struct IdempotencyKey {
  std::string subject;  // the token's "sub" (empty when it has none)
  std::string key;
};

struct Created {
  Order order;
  bool created = true;  // false: an idempotent replay returned the original order
};

class OrderStore {
 public:
  virtual ~OrderStore() = default;
  // With an idempotency key: the first call creates the order and remembers (subject, key,
  // request_hash); a later call with the same subject and key and the same hash returns that
  // order with created=false, with a different hash it fails with idempotency_conflict. The
  // same key under another subject is another request. A key stored before keys had subjects
  // replays for a request with its hash and is otherwise not in the way.
  virtual StoreResult<Created> create(const NewOrder& order,
                                      std::optional<IdempotencyKey> idempotency_key,
                                      std::string request_hash) = 0;
  // Sets the patch's fields and updated_at. An empty patch only bumps updated_at.
  virtual StoreResult<Order> update(const std::string& id, const OrderPatch& patch) = 0;
  virtual StoreResult<Order> get(const std::string& id) = 0;
  virtual StoreResult<OrderPage> list(const ListQuery& query) = 0;
};

// DATABASE_URL forms: db/database_url.hpp (the worker's change source reads the same ones).
// Throws std::invalid_argument naming the problem for an unknown scheme or a malformed URL,
// std::runtime_error when the database cannot be opened or its schema created.
std::unique_ptr<OrderStore> open_store(std::string_view database_url);

std::unique_ptr<OrderStore> open_sqlite_store(const std::string& path);
std::unique_ptr<OrderStore> open_postgres_store(const std::string& conninfo);
std::unique_ptr<OrderStore> open_mongo_store(const std::string& uri);

}  // namespace pulseboard::store
