#include "app/dashboards_route.hpp"

#include <boost/json.hpp>

#include <variant>

namespace pulseboard::app {

namespace bhttp = boost::beast::http;

namespace {

http::Response unauthorized(const http::Request& req, const std::string& reason) {
  auto res =
      http::error_response(req, bhttp::status::unauthorized, "unauthorized",
                           "a valid Authorization: Bearer <JWT> header is required",
                           R"("reason":)" + boost::json::serialize(boost::json::string(reason)));
  res.set(bhttp::field::www_authenticate,
          reason == "missing_token" ? R"(Bearer realm="pulseboard")"
                                    : R"(Bearer realm="pulseboard", error="invalid_token")");
  return res;
}

// The route is registered by prefix: /api/v1/dashboards/x or /api/v1/dashboardsx are not it.
bool is_exact_path(const http::Request& req) {
  std::string_view target = req.target();
  return target.substr(0, target.find('?')) == kDashboardsPath;
}

http::Response answer(const http::Request& req, const streams::StreamsConfig& config,
                      const auth::JwtVerifier* verifier) {
  if (!is_exact_path(req))
    return http::error_response(req, bhttp::status::not_found, "not_found", "no such path");
  if (req.method() != bhttp::verb::get) {
    auto res = http::error_response(req, bhttp::status::method_not_allowed, "method_not_allowed",
                                    "use GET on this path");
    res.set(bhttp::field::allow, "GET");
    return res;
  }
  auto access = viewer_access(verifier, http::bearer_token(req));
  if (access.refused) return unauthorized(req, access.reason);
  auto res = http::json_response(
      req, bhttp::status::ok,
      boost::json::serialize(streams::describe_dashboards(config, access.rooms)));
  // The answer depends on the token: no shared cache may hand one caller's list to another.
  res.set(bhttp::field::vary, "Authorization");
  return res;
}

}  // namespace

ViewerAccess viewer_access(const auth::JwtVerifier* verifier, std::string_view bearer_token) {
  if (!verifier) return {};
  if (bearer_token.empty()) return {true, "missing_token", {}};
  auto result = verifier->verify(bearer_token);
  if (auto* error = std::get_if<auth::JwtError>(&result))
    return {true, std::string(auth::to_string(*error)), {}};
  return {false, {}, std::get<auth::Claims>(result).rooms};
}

void add_dashboards_route(gateway::Gateway& server,
                          std::shared_ptr<const streams::StreamsConfig> config,
                          std::shared_ptr<const auth::JwtVerifier> verifier) {
  server.add_route(std::string(kDashboardsPath),
                   [config, verifier](http::Request&& req, http::Respond respond) {
                     respond(answer(req, *config, verifier.get()));
                   });
}

}  // namespace pulseboard::app
