// How the API answers when the store cannot: database down, too much work queued, a bug.
#include "api/orders_api.hpp"
#include "api_client.hpp"
#include "auth/jwt.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <stdexcept>

namespace pulseboard::api {
namespace {

namespace bhttp = http::beast_http;
using bhttp::verb;
using testing::call;

constexpr std::string_view kSecret = "failures-test-secret-of-32-bytes!";

// Answers every call with one fixed outcome. With `held`, calls wait until gate is counted down.
class FixedStore final : public store::OrderStore {
 public:
  explicit FixedStore(std::optional<store::StoreError> error, bool throws = false,
                      bool held = false)
      : gate(held ? 1 : 0), error_(error), throws_(throws) {}

  store::StoreResult<store::Created> create(const store::NewOrder&,
                                            std::optional<store::IdempotencyKey>,
                                            std::string) override {
    return outcome<store::Created>();
  }
  store::StoreResult<store::Order> update(const std::string&, const store::OrderPatch&) override {
    return outcome<store::Order>();
  }
  store::StoreResult<store::Order> get(const std::string&) override {
    return outcome<store::Order>();
  }
  store::StoreResult<store::OrderPage> list(const store::ListQuery&) override {
    return outcome<store::OrderPage>();
  }

  std::latch gate;

 private:
  template <class T>
  store::StoreResult<T> outcome() {
    gate.wait();
    if (throws_) throw std::runtime_error("bug");
    if (error_) return *error_;
    return T{};
  }
  std::optional<store::StoreError> error_;
  bool throws_;
};

std::shared_ptr<auth::JwtVerifier> verifier() {
  auth::JwtConfig config;
  config.hs256_secret = kSecret;
  return std::make_shared<auth::JwtVerifier>(config);
}

std::map<std::string, std::string> auth_header() {
  return {
      {"Authorization",
       "Bearer " + auth::mint_hs256(kSecret, auth::dev_claims("t", {}, std::chrono::hours(1), {},
                                                              {}, {std::string(kWriteScope)}))}};
}

TEST(OrdersApiFailures, DatabaseDownIs503WithRetryAfter) {
  OrdersApi api(std::make_shared<FixedStore>(store::StoreError::unavailable), verifier(), {});
  auto r = call(api, verb::get, "/api/v1/orders", "", auth_header());
  EXPECT_EQ(r.status(), 503u);
  EXPECT_EQ(r.error_code(), "unavailable");
  EXPECT_EQ(r.header("Retry-After"), "1");
  auto w = call(api, verb::post, "/api/v1/orders", R"({"amount":1,"category":"x"})", auth_header());
  EXPECT_EQ(w.status(), 503u);
}

TEST(OrdersApiFailures, StoreFailuresAndBugsAre500WithoutDetails) {
  OrdersApi failing(std::make_shared<FixedStore>(store::StoreError::internal), verifier(), {});
  auto r = call(failing, verb::get, "/api/v1/orders/abc", "", auth_header());
  EXPECT_EQ(r.status(), 500u);
  EXPECT_EQ(r.error_code(), "internal");

  OrdersApi throwing(std::make_shared<FixedStore>(std::nullopt, true), verifier(), {});
  auto t =
      call(throwing, verb::patch, "/api/v1/orders/abc", R"({"status":"completed"})", auth_header());
  EXPECT_EQ(t.status(), 500u);
  EXPECT_EQ(t.res.body().find("bug"), std::string::npos);
}

TEST(OrdersApiFailures, PastTheInFlightBoundRequestsAreTurnedAway) {
  auto store = std::make_shared<FixedStore>(std::nullopt, false, /*held=*/true);
  OrdersApi::Options options;
  options.max_in_flight = 1;
  {
    OrdersApi api(store, verifier(), options);
    http::Request first{verb::get, "/api/v1/orders/abc", 11};
    first.set(bhttp::field::authorization, auth_header().begin()->second);
    std::promise<unsigned> first_status;
    api.handle(std::move(first),
               [&](http::Response res) { first_status.set_value(res.result_int()); });

    auto second = call(api, verb::get, "/api/v1/orders/abc", "", auth_header());
    EXPECT_EQ(second.status(), 503u);
    EXPECT_EQ(second.error_code(), "overloaded");
    EXPECT_EQ(second.header("Retry-After"), "1");

    store->gate.count_down();
    EXPECT_EQ(first_status.get_future().get(), 200u);
  }
}

}  // namespace
}  // namespace pulseboard::api
