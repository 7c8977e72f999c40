#pragma once
// The HTTP JSON API for orders (docs/api.md): POST/GET /api/v1/orders, GET/PATCH
// /api/v1/orders/{id}. Requests are validated and authenticated on the caller's thread (cheap,
// no I/O); store calls run on the API's own thread pool, which then responds.
#include "auth/jwt.hpp"
#include "http/handler.hpp"
#include "store/order_store.hpp"

#include <boost/asio/thread_pool.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace pulseboard::api {

inline constexpr std::string_view kOrdersPath = "/api/v1/orders";
// The scope a token's "scope" claim must hold for any method that changes orders (POST, PATCH);
// reads need only a valid token.
inline constexpr std::string_view kWriteScope = "orders:write";

class OrdersApi {
 public:
  struct Options {
    std::size_t max_body_bytes = 16 * 1024;
    std::size_t threads = 2;
    // Requests waiting for or in the store; past it new ones get 503 `overloaded`.
    std::size_t max_in_flight = 1024;
    // GETs without a token. Mutations always need one, with kWriteScope.
    bool public_reads = false;
  };

  // A null verifier, or one with no key, rejects every request that needs a token (fail
  // closed).
  OrdersApi(std::shared_ptr<store::OrderStore> store,
            std::shared_ptr<const auth::JwtVerifier> verifier, Options options);
  // Waits for store calls already queued, so every accepted request gets its response.
  ~OrdersApi();
  OrdersApi(const OrdersApi&) = delete;
  OrdersApi& operator=(const OrdersApi&) = delete;

  // Responds exactly once, from this thread or a pool thread.
  void handle(http::Request&& req, http::Respond respond);
  // True for /api/v1/orders, /api/v1/orders/..., /api/v1/orders?...
  bool matches(std::string_view target) const;
  // An http::Handler bound to this API (which must outlive it).
  http::Handler handler();

 private:
  // What the request target names: the collection (with its query) or one order.
  struct Endpoint {
    bool collection = false;
    std::string id;
    std::string_view query;  // into the request's target
  };
  // The steps of handle(): each either lets the request on or is the response that ends it.
  std::variant<Endpoint, http::Response> route(const http::Request& req) const;
  std::variant<std::string, http::Response> authorize(const http::Request& req) const;
  void list_orders(http::Request&& req, http::Respond respond, std::string_view query);
  void get_order(http::Request&& req, http::Respond respond, const std::string& id);
  void create_order(http::Request&& req, http::Respond respond, const boost::json::value& json,
                    const std::string& subject);
  void update_order(http::Request&& req, http::Respond respond, const boost::json::value& json,
                    const std::string& id);

  void run(http::Request&& req, http::Respond respond,
           std::function<http::Response(const http::Request&)> work);

  std::shared_ptr<store::OrderStore> store_;
  std::shared_ptr<const auth::JwtVerifier> verifier_;
  Options options_;
  std::atomic<std::size_t> in_flight_{0};
  boost::asio::thread_pool pool_;
};

}  // namespace pulseboard::api
