#include "api/orders_api.hpp"

#include "api/order_validation.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include "common/json_text.hpp"

namespace pulseboard::api {
namespace {

namespace bhttp = http::beast_http;
using http::Request;
using http::Response;
using Status = bhttp::status;

constexpr std::string_view kIdempotencyKey = "Idempotency-Key";

Response invalid(const Request& req, const ValidationError& e) {
  return http::error_response(req, Status::bad_request, "validation_failed", e.message,
                              error_fields_json(e));
}

Response not_found(const Request& req, std::string_view message) {
  return http::error_response(req, Status::not_found, "not_found", message);
}

Response store_failure(const Request& req, store::StoreError e) {
  using store::StoreError;
  switch (e) {
    case StoreError::not_found:
      return not_found(req, "no such order");
    case StoreError::idempotency_conflict:
      return http::error_response(
          req, Status::conflict, "idempotency_conflict",
          "this Idempotency-Key was already used with a different request body",
          R"("field":"Idempotency-Key","rule":"same_body")");
    case StoreError::invalid_cursor:
      return invalid(req, {"cursor", "cursor", "cursor is not one this API issued"});
    case StoreError::unavailable: {
      auto res = http::error_response(req, Status::service_unavailable, "unavailable",
                                      "the database is unavailable; retry later");
      res.set(bhttp::field::retry_after, "1");
      return res;
    }
    case StoreError::internal:
      break;
  }
  return http::error_response(req, Status::internal_server_error, "internal",
                              "the order could not be processed");
}

Response order_response(const Request& req, Status status, const store::Order& order) {
  auto res = http::json_response(req, status, store::to_json_string(order));
  res.set(bhttp::field::location, std::string(kOrdersPath) + "/" + order.id);
  return res;
}

// What an idempotent retry must repeat: the caller and the validated order (so "amount":5 and
// "amount":5.0, or reordered fields, are the same request).
std::string request_hash(std::string_view subject, const store::NewOrder& order) {
  boost::json::object canonical;
  canonical["amount"] = order.amount;
  canonical["category"] = order.category;
  canonical["status"] = store::to_string(order.status);
  std::string text(subject);
  text += '\n';
  text += boost::json::serialize(canonical);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

// application/json, any case, parameters (charset) allowed.
bool json_content_type(const Request& req) {
  auto it = req.find(bhttp::field::content_type);
  if (it == req.end()) return false;
  std::string_view v = it->value();
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  return std::equal(v.begin(), v.end(), kJson.begin(), kJson.end(),
                    [](char a, char b) { return std::tolower((unsigned char)a) == b; });
}

Response method_not_allowed(const Request& req, std::string_view allow) {
  auto res = http::error_response(req, Status::method_not_allowed, "method_not_allowed",
                                  "use " + std::string(allow) + " on this path");
  res.set(bhttp::field::allow, allow);
  return res;
}

Response unauthorized(const Request& req, std::string_view message, std::string_view reason) {
  auto res =
      http::error_response(req, Status::unauthorized, "unauthorized", message,
                           R"("reason":)" + boost::json::serialize(boost::json::string(reason)));
  res.set(bhttp::field::www_authenticate,
          reason == "missing_token" ? R"(Bearer realm="pulseboard")"
                                    : R"(Bearer realm="pulseboard", error="invalid_token")");
  return res;
}

// A valid token without the scope the request needs (RFC 6750 section 3.1: insufficient_scope).
Response forbidden(const Request& req, std::string_view scope) {
  auto res =
      http::error_response(req, Status::forbidden, "forbidden",
                           "the token lacks scope " + std::string(scope) + ", which writes need",
                           R"("reason":"insufficient_scope","scope":)" +
                               boost::json::serialize(boost::json::string(scope)));
  res.set(bhttp::field::www_authenticate,
          R"(Bearer realm="pulseboard", error="insufficient_scope", scope=")" + std::string(scope) +
              "\"");
  return res;
}

// The body of a POST or PATCH, parsed, or the response explaining why not.
std::variant<boost::json::value, Response> read_json_body(const Request& req,
                                                          std::size_t max_bytes) {
  if (req.body().size() > max_bytes)
    return http::error_response(req, Status::payload_too_large, "body_too_large",
                                "request body is " + std::to_string(req.body().size()) +
                                    " bytes; the limit is " + std::to_string(max_bytes),
                                R"("rule":"max_bytes","limit":)" + std::to_string(max_bytes));
  if (!json_content_type(req))
    return http::error_response(req, Status::unsupported_media_type, "unsupported_media_type",
                                "Content-Type must be application/json");
  auto parsed = parse_json_body(req.body());
  if (auto* bad = std::get_if<MalformedJson>(&parsed))
    return http::error_response(req, Status::bad_request, "malformed_json", bad->message,
                                R"("rule":"json_syntax")");
  return std::move(std::get<boost::json::value>(parsed));
}

}  // namespace

OrdersApi::OrdersApi(std::shared_ptr<store::OrderStore> store,
                     std::shared_ptr<const auth::JwtVerifier> verifier, Options options)
    : store_(std::move(store)),
      verifier_(std::move(verifier)),
      options_(options),
      pool_(std::max<std::size_t>(options.threads, 1)) {}

OrdersApi::~OrdersApi() {
  pool_.join();
}

bool OrdersApi::matches(std::string_view target) const {
  if (!target.starts_with(kOrdersPath)) return false;
  const auto rest = target.substr(kOrdersPath.size());
  return rest.empty() || rest.front() == '/' || rest.front() == '?';
}

http::Handler OrdersApi::handler() {
  return
      [this](Request&& req, http::Respond respond) { handle(std::move(req), std::move(respond)); };
}

void OrdersApi::handle(Request&& req, http::Respond respond) {
  auto routed = route(req);
  if (auto* res = std::get_if<Response>(&routed)) return respond(std::move(*res));
  const auto& endpoint = std::get<Endpoint>(routed);

  auto subject = authorize(req);
  if (auto* res = std::get_if<Response>(&subject)) return respond(std::move(*res));

  const auto method = req.method();
  if (!(endpoint.collection && method == bhttp::verb::get) && !endpoint.query.empty())
    return respond(invalid(req, {"", "unknown_field", "this endpoint takes no query parameters"}));
  if (!endpoint.collection && !plausible_order_id(endpoint.id))
    return respond(not_found(req, "no such order"));

  if (method == bhttp::verb::get) {
    if (endpoint.collection) return list_orders(std::move(req), std::move(respond), endpoint.query);
    return get_order(std::move(req), std::move(respond), endpoint.id);
  }
  auto body = read_json_body(req, options_.max_body_bytes);
  if (auto* res = std::get_if<Response>(&body)) return respond(std::move(*res));
  const auto& json = std::get<boost::json::value>(body);
  if (method == bhttp::verb::post)
    return create_order(std::move(req), std::move(respond), json, std::get<std::string>(subject));
  update_order(std::move(req), std::move(respond), json, endpoint.id);
}

// The path names the collection or one order, and the method is one that endpoint serves.
std::variant<OrdersApi::Endpoint, Response> OrdersApi::route(const Request& req) const {
  auto target = boost::urls::parse_origin_form(req.target());
  if (!target)
    return http::error_response(req, Status::bad_request, "bad_request",
                                "the request target is not a valid path");
  const std::string_view path = target->encoded_path();
  Endpoint endpoint;
  if (target->has_query()) endpoint.query = target->encoded_query();
  endpoint.collection = path == kOrdersPath;
  if (!endpoint.collection && !(path.starts_with(kOrdersPath) && path.size() > kOrdersPath.size() &&
                                path[kOrdersPath.size()] == '/'))
    return not_found(req, "no such endpoint");
  if (!endpoint.collection) endpoint.id = std::string(path.substr(kOrdersPath.size() + 1));
  if (!endpoint.collection && endpoint.id.find('/') != std::string::npos)
    return not_found(req, "no such endpoint");

  const auto method = req.method();
  if (endpoint.collection && method != bhttp::verb::get && method != bhttp::verb::post)
    return method_not_allowed(req, "GET, POST");
  if (!endpoint.collection && method != bhttp::verb::get && method != bhttp::verb::patch)
    return method_not_allowed(req, "GET, PATCH");
  return endpoint;
}

// The caller's token subject (empty for a public read), or the 401/403 that refuses it.
std::variant<std::string, Response> OrdersApi::authorize(const Request& req) const {
  // Every method but GET changes orders (the ones not served were answered 405 by route()).
  const bool writes = req.method() != bhttp::verb::get;
  if (!writes && options_.public_reads) return std::string();
  const std::string_view token = http::bearer_token(req);
  if (token.empty())
    return unauthorized(req, "an Authorization: Bearer <JWT> header is required", "missing_token");
  if (!verifier_ || !verifier_->enabled())
    return unauthorized(req, "this server has no JWT key configured", "no_key");
  auto verified = verifier_->verify(token);
  if (auto* err = std::get_if<auth::JwtError>(&verified))
    return unauthorized(req, "invalid token: " + std::string(auth::to_string(*err)),
                        auth::to_string(*err));
  const auto& claims = std::get<auth::Claims>(verified);
  if (writes && !claims.has_scope(kWriteScope)) return forbidden(req, kWriteScope);
  return claims.subject;
}

void OrdersApi::list_orders(Request&& req, http::Respond respond, std::string_view query) {
  auto q = validate_list_query(query);
  if (auto* err = std::get_if<ValidationError>(&q)) return respond(invalid(req, *err));
  run(std::move(req), std::move(respond),
      [store = store_, q = std::get<store::ListQuery>(std::move(q))](const Request& req) {
        auto r = store->list(q);
        if (auto* err = std::get_if<store::StoreError>(&r)) return store_failure(req, *err);
        const auto& page = std::get<store::OrderPage>(r);
        boost::json::object body;
        auto& orders = body["orders"].emplace_array();
        for (const auto& o : page.orders) orders.push_back(store::to_json(o));
        body["nextCursor"] =
            page.next_cursor ? boost::json::value(*page.next_cursor) : boost::json::value(nullptr);
        return http::json_response(req, Status::ok, to_json_text(body));
      });
}

void OrdersApi::get_order(Request&& req, http::Respond respond, const std::string& id) {
  run(std::move(req), std::move(respond), [store = store_, id](const Request& req) {
    auto r = store->get(id);
    if (auto* err = std::get_if<store::StoreError>(&r)) return store_failure(req, *err);
    return order_response(req, Status::ok, std::get<store::Order>(r));
  });
}

void OrdersApi::create_order(Request&& req, http::Respond respond, const boost::json::value& json,
                             const std::string& subject) {
  // Keys are the caller's own: another subject's identical key is another request.
  std::optional<store::IdempotencyKey> key;
  if (auto it = req.find(kIdempotencyKey); it != req.end()) {
    if (auto err = check_idempotency_key(it->value())) return respond(invalid(req, *err));
    key = store::IdempotencyKey{subject, std::string(it->value())};
  }
  auto order = validate_new_order(json);
  if (auto* err = std::get_if<ValidationError>(&order)) return respond(invalid(req, *err));
  auto new_order = std::get<store::NewOrder>(std::move(order));
  auto hash = request_hash(subject, new_order);
  run(std::move(req), std::move(respond),
      [store = store_, new_order = std::move(new_order), key = std::move(key),
       hash = std::move(hash)](const Request& req) {
        auto r = store->create(new_order, key, hash);
        if (auto* err = std::get_if<store::StoreError>(&r)) return store_failure(req, *err);
        const auto& created = std::get<store::Created>(r);
        auto res =
            order_response(req, created.created ? Status::created : Status::ok, created.order);
        if (!created.created) res.set("Idempotent-Replayed", "true");
        return res;
      });
}

void OrdersApi::update_order(Request&& req, http::Respond respond, const boost::json::value& json,
                             const std::string& id) {
  auto patch = validate_order_patch(json);
  if (auto* err = std::get_if<ValidationError>(&patch)) return respond(invalid(req, *err));
  run(std::move(req), std::move(respond),
      [store = store_, id, patch = std::get<store::OrderPatch>(patch)](const Request& req) {
        auto r = store->update(id, patch);
        if (auto* err = std::get_if<store::StoreError>(&r)) return store_failure(req, *err);
        return order_response(req, Status::ok, std::get<store::Order>(r));
      });
}

void OrdersApi::run(Request&& req, http::Respond respond,
                    std::function<Response(const Request&)> work) {
  if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
    --in_flight_;
    auto res = http::error_response(req, Status::service_unavailable, "overloaded",
                                    "too many requests in progress; retry later");
    res.set(bhttp::field::retry_after, "1");
    return respond(std::move(res));
  }
  boost::asio::post(pool_, [this, req = std::move(req), respond = std::move(respond),
                            work = std::move(work)]() mutable {
    Response res;
    try {
      res = work(req);
    } catch (const std::exception& e) {
      // Store calls report expected failures as values; this is a bug or out of memory.
      spdlog::error("orders api: {} {} failed: {}", std::string_view(req.method_string()),
                    std::string_view(req.target()), e.what());
      res = store_failure(req, store::StoreError::internal);
    }
    --in_flight_;
    respond(std::move(res));
  });
}

}  // namespace pulseboard::api
