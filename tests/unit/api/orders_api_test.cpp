// The orders API through its handler, against every store that can run here.
#include "api/orders_api.hpp"
#include "../store/store_backends.hpp"
#include "api_client.hpp"
#include "auth/jwt.hpp"
#include "common/base64.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace pulseboard::api {
namespace {

namespace bhttp = http::beast_http;
using bhttp::verb;
using testing::call;
using testing::Reply;

constexpr std::string_view kSecret = "orders-api-test-secret-of-32-bytes";

OrdersApi::Options public_reads() {
  OrdersApi::Options o;
  o.public_reads = true;
  return o;
}

OrdersApi::Options max_body(std::size_t bytes) {
  OrdersApi::Options o;
  o.max_body_bytes = bytes;
  return o;
}

// A write token by default (scope orders:write); scopes {} makes a viewer token.
std::string token_for(std::string_view subject,
                      std::chrono::seconds lifetime = std::chrono::hours(1),
                      const std::vector<std::string>& scopes = {std::string(kWriteScope)}) {
  return auth::mint_hs256(kSecret, auth::dev_claims(subject, {}, lifetime, {}, {}, scopes));
}

std::map<std::string, std::string> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::string viewer_token() {
  return token_for("viewer", std::chrono::hours(1), {});
}

class OrdersApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string skip;
    store_ = store::testing::open_backend(GetParam(), file_, skip);
    if (!store_) GTEST_SKIP() << skip;
    auth::JwtConfig config;
    config.hs256_secret = kSecret;
    verifier_ = std::make_shared<auth::JwtVerifier>(config);
    api_ = std::make_unique<OrdersApi>(store_, verifier_, OrdersApi::Options{});
  }

  std::map<std::string, std::string> auth(std::string subject = "tester") {
    return {{"Authorization", "Bearer " + token_for(subject)}};
  }
  Reply post(std::string body, std::map<std::string, std::string> headers = {}) {
    headers.merge(auth());
    return call(*api_, verb::post, "/api/v1/orders", std::move(body), std::move(headers));
  }
  Reply post_with_key(std::string body, std::string key) {
    return post(std::move(body), {{"Idempotency-Key", std::move(key)}});
  }
  Reply get(std::string target) { return call(*api_, verb::get, target, "", auth()); }
  Reply patch(std::string id, std::string body) {
    return call(*api_, verb::patch, "/api/v1/orders/" + id, std::move(body), auth());
  }
  std::string create(double amount, std::string_view status = "pending") {
    boost::json::object o{{"amount", amount}, {"category", category_}, {"status", status}};
    auto r = post(boost::json::serialize(o));
    EXPECT_EQ(r.status(), 201u) << r.res.body();
    return std::string(r.json().at("id").as_string());
  }
  std::size_t orders_in_category() {
    auto r = get("/api/v1/orders?limit=200&category=" + category_);
    EXPECT_EQ(r.status(), 200u);
    return r.json().at("orders").as_array().size();
  }

  std::unique_ptr<store::testing::TempSqliteFile> file_;
  std::shared_ptr<store::OrderStore> store_;
  std::shared_ptr<auth::JwtVerifier> verifier_;
  std::unique_ptr<OrdersApi> api_;
  std::string category_ = store::testing::unique_category();
};

TEST_P(OrdersApiTest, CreateReturns201WithLocationAndTheOrder) {
  auto r = post(R"({"amount": 19.99, "category": ")" + category_ + R"("})");
  ASSERT_EQ(r.status(), 201u) << r.res.body();
  auto o = r.json().as_object();
  EXPECT_EQ(o.at("amount").as_double(), 19.99);
  EXPECT_EQ(o.at("status").as_string(), "pending");
  EXPECT_EQ(o.at("category").as_string(), category_);
  EXPECT_EQ(o.at("createdAt"), o.at("updatedAt"));
  EXPECT_EQ(o.size(), 6u);
  const std::string location = r.header("Location");
  EXPECT_EQ(location, "/api/v1/orders/" + std::string(o.at("id").as_string()));
  EXPECT_EQ(r.header("Content-Type"), "application/json");

  auto g = get(location);
  ASSERT_EQ(g.status(), 200u);
  EXPECT_EQ(g.json(), r.json());
}

TEST_P(OrdersApiTest, StoreWorkIsNotDoneOnTheCallersThread) {
  auto r = get("/api/v1/orders/unknownunknownunknow");
  EXPECT_EQ(r.status(), 404u);
  EXPECT_NE(r.responder, std::this_thread::get_id());
}

TEST_P(OrdersApiTest, PatchChangesStatusAndAmount) {
  const auto id = create(10);
  auto r = patch(id, R"({"status":"completed","amount":12})");
  ASSERT_EQ(r.status(), 200u) << r.res.body();
  EXPECT_EQ(r.json().at("status").as_string(), "completed");
  EXPECT_EQ(r.json().at("amount").to_number<double>(), 12.0);
  EXPECT_EQ(get("/api/v1/orders/" + id).json(), r.json());
  EXPECT_EQ(patch("nosuchorder000000000", R"({"status":"completed"})").status(), 404u);
  auto empty = patch(id, "{}");
  EXPECT_EQ(empty.status(), 400u);
  EXPECT_EQ(empty.rule(), "/at_least_one");
}

// A rejected PATCH writes nothing: not even the valid half of a half-valid body, nor updatedAt.
TEST_P(OrdersApiTest, RejectedPatchLeavesTheOrderUnchanged) {
  const auto id = create(10);
  const auto before = get("/api/v1/orders/" + id);
  ASSERT_EQ(before.status(), 200u);
  const std::pair<std::string, std::string> rejected[] = {
      {R"({"status":"lost"})", "status/enum"},
      {R"({"amount":-1})", "amount/non_negative"},
      {R"({"status":"completed","amount":-1})", "amount/non_negative"},
      {R"({"status":"completed","note":"x"})", "note/unknown_field"},
      {R"({"status":"completed",)", "/json_syntax"},
  };
  for (const auto& [body, rule] : rejected) {
    auto r = patch(id, body);
    EXPECT_EQ(r.status(), 400u) << body;
    EXPECT_EQ(r.rule(), rule) << body;
  }
  const auto after = get("/api/v1/orders/" + id);
  ASSERT_EQ(after.status(), 200u);
  EXPECT_EQ(after.json(), before.json());  // same status, amount, category and updatedAt
}

TEST_P(OrdersApiTest, UnknownPathsAndMethods) {
  EXPECT_EQ(get("/api/v1/orders/abc/def").error_code(), "not_found");
  EXPECT_EQ(get("/api/v1/orders/").status(), 404u);
  EXPECT_EQ(get("/api/v1/orders/a.b").status(), 404u);
  auto del = call(*api_, verb::delete_, "/api/v1/orders/abc", "", auth());
  EXPECT_EQ(del.status(), 405u);
  EXPECT_EQ(del.header("Allow"), "GET, PATCH");
  auto put = call(*api_, verb::put, "/api/v1/orders", "{}", auth());
  EXPECT_EQ(put.status(), 405u);
  EXPECT_EQ(put.header("Allow"), "GET, POST");
  EXPECT_EQ(put.error_code(), "method_not_allowed");
  auto q = get("/api/v1/orders/abc?verbose=1");
  EXPECT_EQ(q.status(), 400u);
  EXPECT_EQ(q.rule(), "/unknown_field");
}

TEST_P(OrdersApiTest, MatchesOnlyTheOrdersPaths) {
  EXPECT_TRUE(api_->matches("/api/v1/orders"));
  EXPECT_TRUE(api_->matches("/api/v1/orders?limit=5"));
  EXPECT_TRUE(api_->matches("/api/v1/orders/abc"));
  EXPECT_FALSE(api_->matches("/api/v1/ordersx"));
  EXPECT_FALSE(api_->matches("/api/v1"));
  EXPECT_FALSE(api_->matches("/socket.io/"));
}

TEST_P(OrdersApiTest, EveryRequestNeedsAValidTokenByDefault) {
  const std::string body = R"({"amount":1,"category":")" + category_ + R"("})";
  auto missing = call(*api_, verb::post, "/api/v1/orders", body);
  EXPECT_EQ(missing.status(), 401u);
  EXPECT_EQ(missing.error_code(), "unauthorized");
  EXPECT_EQ(missing.json().at("error").at("reason"), "missing_token");
  EXPECT_EQ(missing.header("WWW-Authenticate"), R"(Bearer realm="pulseboard")");

  auto garbage = call(*api_, verb::post, "/api/v1/orders", body, {{"Authorization", "Bearer x.y"}});
  EXPECT_EQ(garbage.status(), 401u);
  EXPECT_EQ(garbage.json().at("error").at("reason"), "malformed");

  auto forged =
      call(*api_, verb::post, "/api/v1/orders", body,
           {{"Authorization",
             "Bearer " + auth::mint_hs256("other-secret",
                                          auth::dev_claims("x", {}, std::chrono::hours(1)))}});
  EXPECT_EQ(forged.json().at("error").at("reason"), "bad_signature");

  auto expired = call(*api_, verb::post, "/api/v1/orders", body,
                      {{"Authorization", "Bearer " + token_for("x", std::chrono::hours(-1))}});
  EXPECT_EQ(expired.json().at("error").at("reason"), "expired");
  EXPECT_NE(expired.json().at("error").at("message").as_string().find("expired"),
            std::string::npos);

  auto read = call(*api_, verb::get, "/api/v1/orders");
  EXPECT_EQ(read.status(), 401u);
  EXPECT_EQ(orders_in_category(), 0u);
}

TEST_P(OrdersApiTest, PublicReadsStillGuardWrites) {
  OrdersApi open(store_, verifier_, public_reads());
  EXPECT_EQ(call(open, verb::get, "/api/v1/orders?limit=1").status(), 200u);
  EXPECT_EQ(call(open, verb::get, "/api/v1/orders?limit=1", "", bearer(viewer_token())).status(),
            200u);
  const std::string order = R"({"amount":1,"category":")" + category_ + R"("})";
  EXPECT_EQ(call(open, verb::post, "/api/v1/orders", order).status(), 401u);
  EXPECT_EQ(call(open, verb::post, "/api/v1/orders", order, bearer(viewer_token())).status(), 403u);
  EXPECT_EQ(orders_in_category(), 0u);
}

// A valid token without scope orders:write reads but never writes: 403 forbidden, before the
// body is even looked at, and the store is not touched.
TEST_P(OrdersApiTest, ViewerTokenReadsButCannotWrite) {
  const auto id = create(10);
  const auto before = get("/api/v1/orders/" + id);
  ASSERT_EQ(before.status(), 200u);
  const auto viewer = bearer(viewer_token());

  auto list = call(*api_, verb::get, "/api/v1/orders?limit=200&category=" + category_, "", viewer);
  ASSERT_EQ(list.status(), 200u) << list.res.body();
  EXPECT_EQ(list.json().at("orders").as_array().size(), 1u);
  auto one = call(*api_, verb::get, "/api/v1/orders/" + id, "", viewer);
  ASSERT_EQ(one.status(), 200u) << one.res.body();
  EXPECT_EQ(one.json(), before.json());

  const std::string key = "viewer-" + category_;
  auto headers = viewer;
  headers["Idempotency-Key"] = key;
  const std::string order = R"({"amount":1,"category":")" + category_ + R"("})";
  auto refused_post = call(*api_, verb::post, "/api/v1/orders", order, headers);
  EXPECT_EQ(refused_post.status(), 403u) << refused_post.res.body();
  EXPECT_EQ(refused_post.error_code(), "forbidden");
  const auto error = refused_post.json().at("error");
  EXPECT_EQ(error.at("reason"), "insufficient_scope");
  EXPECT_EQ(error.at("scope"), "orders:write");
  EXPECT_NE(error.at("message").as_string().find("lacks scope orders:write"), std::string::npos);
  EXPECT_EQ(refused_post.header("WWW-Authenticate"),
            R"(Bearer realm="pulseboard", error="insufficient_scope", scope="orders:write")");
  EXPECT_EQ(refused_post.header("Content-Type"), "application/json");
  EXPECT_EQ(refused_post.header("Location"), "");

  auto refused_patch =
      call(*api_, verb::patch, "/api/v1/orders/" + id, R"({"status":"completed"})", viewer);
  EXPECT_EQ(refused_patch.status(), 403u) << refused_patch.res.body();
  EXPECT_EQ(refused_patch.error_code(), "forbidden");
  // Refused before the body and the order id are read: an invalid body or an unknown order is
  // still 403, not 400 or 404.
  EXPECT_EQ(call(*api_, verb::post, "/api/v1/orders", "{", viewer).status(), 403u);
  EXPECT_EQ(call(*api_, verb::patch, "/api/v1/orders/nosuchorder000000000",
                 R"({"status":"completed"})", viewer)
                .status(),
            403u);

  // Nothing was written: the same one order, unchanged, and the refused POST's
  // Idempotency-Key was not claimed (a write token's first use of it creates).
  EXPECT_EQ(orders_in_category(), 1u);
  EXPECT_EQ(get("/api/v1/orders/" + id).json(), before.json());
  auto writer = post_with_key(order, key);
  EXPECT_EQ(writer.status(), 201u) << writer.res.body();
  EXPECT_EQ(orders_in_category(), 2u);
}

TEST_P(OrdersApiTest, WritesNeedTheWholeWriteScope) {
  const std::string order = R"({"amount":1,"category":")" + category_ + R"("})";
  auto post_as = [&](const std::vector<std::string>& scopes) {
    return call(*api_, verb::post, "/api/v1/orders", order,
                bearer(token_for("scoped", std::chrono::hours(1), scopes)))
        .status();
  };
  EXPECT_EQ(post_as({"orders:read"}), 403u);
  EXPECT_EQ(post_as({"orders"}), 403u);
  EXPECT_EQ(post_as({"orders:write:all"}), 403u);
  EXPECT_EQ(post_as({"ORDERS:WRITE"}), 403u);  // scope tokens are case-sensitive
  EXPECT_EQ(orders_in_category(), 0u);
  EXPECT_EQ(post_as({"orders:read", "orders:write"}), 201u);  // "orders:read orders:write"

  // The array form of the claim counts too.
  auto claims = auth::dev_claims("array", {}, std::chrono::hours(1));
  claims["scope"] = boost::json::array{"metrics:read", "orders:write"};
  auto r =
      call(*api_, verb::post, "/api/v1/orders", order, bearer(auth::mint_hs256(kSecret, claims)));
  EXPECT_EQ(r.status(), 201u) << r.res.body();
  EXPECT_EQ(orders_in_category(), 2u);
}

TEST_P(OrdersApiTest, NoVerifierFailsClosed) {
  OrdersApi keyless(store_, nullptr, {});
  auto r = call(keyless, verb::post, "/api/v1/orders", R"({"amount":1,"category":"x"})", auth());
  EXPECT_EQ(r.status(), 401u);
  EXPECT_EQ(r.json().at("error").at("reason"), "no_key");
}

// Every rejected body: the status, the code or "field/rule", and nothing written.
TEST_P(OrdersApiTest, InvalidBodiesAreExplainedAndWriteNothing) {
  const std::string c = category_;
  struct Case {
    std::string body;
    unsigned status;
    std::string expect;  // error code, or field/rule for validation_failed
  };
  const Case cases[] = {
      {R"({"amount":1,"category":")" + c + R"(",})", 400, "malformed_json"},
      {"not json", 400, "malformed_json"},
      {R"([1,2])", 400, "/object"},
      {R"("order")", 400, "/object"},
      {R"({"category":")" + c + R"("})", 400, "amount/required"},
      {R"({"amount":1})", 400, "category/required"},
      {R"({"amount":"1","category":")" + c + R"("})", 400, "amount/type"},
      {R"({"amount":-1,"category":")" + c + R"("})", 400, "amount/non_negative"},
      {R"({"amount":1e999,"category":")" + c + R"("})", 400, "amount/finite"},
      {R"({"amount":1e13,"category":")" + c + R"("})", 400, "amount/max"},
      {R"({"amount":1.005,"category":")" + c + R"("})", 400, "amount/max_2_decimals"},
      {R"({"amount":1,"category":7})", 400, "category/type"},
      {R"({"amount":1,"category":""})", 400, "category/length"},
      {R"({"amount":1,"category":")" + std::string(65, 'x') + R"("})", 400, "category/length"},
      {R"({"amount":1,"category":"a\tb"})", 400, "category/control_chars"},
      {R"({"amount":1,"category":")" + c + R"(","status":"lost"})", 400, "status/enum"},
      {R"({"amount":1,"category":")" + c + R"(","discount":5})", 400, "discount/unknown_field"},
      {R"({"amount":1,"category":")" + c + R"(","id":"mine"})", 400, "id/read_only"},
  };
  for (const auto& k : cases) {
    auto r = post(k.body);
    EXPECT_EQ(r.status(), k.status) << k.body;
    const auto code = r.error_code();
    EXPECT_EQ(code == "validation_failed" ? r.rule() : code, k.expect) << k.body;
    if (code == "malformed_json") {
      EXPECT_EQ(r.rule(), "/json_syntax") << k.body;
    }
    EXPECT_FALSE(r.json().at("error").at("message").as_string().empty());
  }
  EXPECT_EQ(orders_in_category(), 0u);
}

TEST_P(OrdersApiTest, BodyLimitAndContentType) {
  OrdersApi small(store_, verifier_, max_body(64));
  const std::string big =
      R"({"amount":1,"category":")" + category_ + R"(","status":"pending"})" + std::string(40, ' ');
  auto too_big = call(small, verb::post, "/api/v1/orders", big, auth());
  EXPECT_EQ(too_big.status(), 413u);
  EXPECT_EQ(too_big.error_code(), "body_too_large");
  EXPECT_EQ(too_big.rule(), "/max_bytes");
  EXPECT_EQ(too_big.json().at("error").at("limit"), 64);

  const std::string body = R"({"amount":1,"category":")" + category_ + R"("})";
  auto text = call(*api_, verb::post, "/api/v1/orders", body,
                   {{"Content-Type", "text/plain"}, {"Authorization", "Bearer " + token_for("t")}});
  EXPECT_EQ(text.status(), 415u);
  EXPECT_EQ(text.error_code(), "unsupported_media_type");
  auto with_charset = call(*api_, verb::post, "/api/v1/orders", body,
                           {{"Content-Type", "Application/JSON; charset=utf-8"},
                            {"Authorization", "Bearer " + token_for("t")}});
  EXPECT_EQ(with_charset.status(), 201u) << with_charset.res.body();
  EXPECT_EQ(orders_in_category(), 1u);
}

TEST_P(OrdersApiTest, IdempotentRetryReplaysTheOriginal) {
  const std::string body = R"({"amount":5,"category":")" + category_ + R"("})";
  auto first = post(body, {{"Idempotency-Key", "retry-" + category_}});
  ASSERT_EQ(first.status(), 201u);
  EXPECT_EQ(first.header("Idempotent-Replayed"), "");
  // Same order, spelled differently: still the same request.
  auto again = post(R"({ "category":")" + category_ + R"(", "amount": 5.0, "status":"pending" })",
                    {{"Idempotency-Key", "retry-" + category_}});
  ASSERT_EQ(again.status(), 200u) << again.res.body();
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(again.header("Location"), first.header("Location"));
  EXPECT_EQ(again.json(), first.json());
  EXPECT_EQ(orders_in_category(), 1u);
}

TEST_P(OrdersApiTest, IdempotencyKeyWithADifferentBodyConflicts) {
  const std::string key = "retry-" + category_;
  const std::string body = R"({"amount":5,"category":")" + category_ + R"("})";
  ASSERT_EQ(post(body, {{"Idempotency-Key", key}}).status(), 201u);
  auto other_body =
      post(R"({"amount":6,"category":")" + category_ + R"("})", {{"Idempotency-Key", key}});
  EXPECT_EQ(other_body.status(), 409u);
  EXPECT_EQ(other_body.error_code(), "idempotency_conflict");
  auto bad_key = post(body, {{"Idempotency-Key", "has space"}});
  EXPECT_EQ(bad_key.status(), 400u);
  EXPECT_EQ(bad_key.rule(), "Idempotency-Key/format");
  EXPECT_EQ(orders_in_category(), 1u);
}

// Keys belong to the token's subject: another caller's identical key is another request. So
// nobody can squat a key before its owner uses it, nor probe whether it was used (both would
// have got 409 when keys were global).
TEST_P(OrdersApiTest, IdempotencyKeysBelongToTheirCaller) {
  const std::string key = "mine-" + category_;
  const std::string body = R"({"amount":5,"category":")" + category_ + R"("})";
  auto as = [&](const std::string& subject, const std::string& text) {
    return call(*api_, verb::post, "/api/v1/orders", text,
                {{"Idempotency-Key", key}, {"Authorization", "Bearer " + token_for(subject)}});
  };
  // mallory squats the key first, with another body.
  auto squat = as("mallory", R"({"amount":9,"category":")" + category_ + R"("})");
  ASSERT_EQ(squat.status(), 201u) << squat.res.body();
  auto mine = as("alice", body);
  ASSERT_EQ(mine.status(), 201u) << mine.res.body();
  EXPECT_NE(mine.header("Location"), squat.header("Location"));
  // mallory probes with alice's body: a new order of hers, nothing about alice's.
  auto probe = as("mallory2", body);
  ASSERT_EQ(probe.status(), 201u) << probe.res.body();
  EXPECT_NE(probe.header("Location"), mine.header("Location"));
  // Each caller's retry replays its own order.
  auto again = as("alice", body);
  EXPECT_EQ(again.status(), 200u);
  EXPECT_EQ(again.header("Location"), mine.header("Location"));
  auto squat_again = as("mallory", R"({"amount":9,"category":")" + category_ + R"("})");
  EXPECT_EQ(squat_again.status(), 200u);
  EXPECT_EQ(squat_again.header("Location"), squat.header("Location"));
  EXPECT_EQ(orders_in_category(), 3u);
}

// A cursor is base64url of a position; one that decodes but holds no position this API issues
// (before 1970, after 9999, an id outside the id alphabet: bytes that are not UTF-8, NUL) is
// refused with 400 on every store. PostgreSQL answered 500 and logged an ERROR.
TEST_P(OrdersApiTest, ForgedCursorsGet400OnEveryStore) {
  using namespace std::string_literals;
  create(1);
  for (const std::string& plain :
       {"-99999999999999:AAAAAAAAAAAAAAAAAAAA"s, "1795838400000:\xff\xfe"s, "1795838400000:a\0b"s,
        "99999999999999999:AAAAAAAAAAAAAAAAAAAA"s}) {
    auto r = get("/api/v1/orders?category=" + category_ + "&cursor=" + base64url_encode(plain));
    EXPECT_EQ(r.status(), 400u) << plain << ": " << r.res.body();
    if (r.status() == 400u) {
      EXPECT_EQ(r.rule(), "cursor/cursor");
    }
  }
  // Times from year 0000, which the API accepts and PostgreSQL cannot hold, list normally.
  auto early = get("/api/v1/orders?from=0000-01-01T00:00:00Z&category=" + category_);
  ASSERT_EQ(early.status(), 200u) << early.res.body();
  EXPECT_EQ(early.json().at("orders").as_array().size(), 1u);
  auto none = get("/api/v1/orders?to=0000-06-01T00:00:00Z&category=" + category_);
  ASSERT_EQ(none.status(), 200u) << none.res.body();
  EXPECT_TRUE(none.json().at("orders").as_array().empty());
}

// -0.0 is below no number, but it is a negative zero: stored and printed as "-0". It is
// refused like any negative amount; "-0" without a fraction is the integer 0 and is stored as 0.
TEST_P(OrdersApiTest, NegativeZeroAmountIsRefused) {
  for (const char* amount : {"-0.0", "-0e0", "-0.00"}) {
    auto r = post(R"({"amount":)" + std::string(amount) + R"(,"category":")" + category_ + R"("})");
    EXPECT_EQ(r.status(), 400u) << amount << ": " << r.res.body();
    if (r.status() == 400u) {
      EXPECT_EQ(r.rule(), "amount/non_negative");
    }
  }
  EXPECT_EQ(orders_in_category(), 0u);
  const std::string id = create(3);
  auto patched = patch(id, R"({"amount":-0.0})");
  EXPECT_EQ(patched.status(), 400u) << patched.res.body();
  EXPECT_EQ(get("/api/v1/orders/" + id).json().at("amount").to_number<double>(), 3.0);
  auto zero = post(R"({"amount":-0,"category":")" + category_ + R"("})");
  ASSERT_EQ(zero.status(), 201u) << zero.res.body();
  EXPECT_FALSE(std::signbit(zero.json().at("amount").to_number<double>()));
}

TEST_P(OrdersApiTest, ListPagesThroughEveryOrderNewestFirst) {
  std::set<std::string> made;
  for (int i = 0; i < 5; ++i) made.insert(create(i + 1, i % 2 ? "completed" : "pending"));
  std::set<std::string> seen;
  std::string target = "/api/v1/orders?limit=2&category=" + category_;
  int pages = 0;
  std::string last_created = "9999";
  for (std::string cursor;; ++pages) {
    auto r = get(target + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status(), 200u) << r.res.body() << " cursor=" << cursor;
    const auto page = r.json();
    for (const auto& o : page.at("orders").as_array()) {
      seen.insert(std::string(o.at("id").as_string()));
      const std::string created(o.at("createdAt").as_string());
      EXPECT_LE(created, last_created);
      last_created = created;
    }
    const auto& next = page.at("nextCursor");
    if (next.is_null()) break;
    cursor = std::string(next.as_string());
  }
  EXPECT_EQ(pages + 1, 3);
  EXPECT_EQ(seen, made);

  auto completed = get("/api/v1/orders?status=completed&category=" + category_);
  EXPECT_EQ(completed.json().at("orders").as_array().size(), 2u);
  auto future = get("/api/v1/orders?from=2999-01-01T00:00:00Z&category=" + category_);
  EXPECT_TRUE(future.json().at("orders").as_array().empty());
  auto bad_cursor = get("/api/v1/orders?cursor=bm90LWEtY3Vyc29y");
  EXPECT_EQ(bad_cursor.status(), 400u);
  EXPECT_EQ(bad_cursor.rule(), "cursor/cursor");
  EXPECT_EQ(get("/api/v1/orders?limit=500").rule(), "limit/range");
  EXPECT_EQ(get("/api/v1/orders?from=2026-11-28T05:00:00Z&to=2026-11-28T04:00:00Z").rule(),
            "to/range");
}

INSTANTIATE_TEST_SUITE_P(Stores, OrdersApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace pulseboard::api
