#include "http/handler.hpp"

#include <boost/json.hpp>

namespace pulseboard::http {

Response json_response(const Request& req, beast_http::status status, std::string body) {
  Response res{status, req.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.set(beast_http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response error_response(const Request& req, beast_http::status status, std::string_view code,
                        std::string_view message, std::string_view extra_json_fields) {
  std::string body = R"({"error":{"code":)";
  body += boost::json::serialize(boost::json::string(code));
  body += R"(,"message":)";
  body += boost::json::serialize(boost::json::string(message));
  if (!extra_json_fields.empty()) {
    body += ',';
    body += extra_json_fields;
  }
  body += "}}";
  return json_response(req, status, std::move(body));
}

std::string_view bearer_token(const Request& req) {
  auto it = req.find(beast_http::field::authorization);
  if (it == req.end()) return {};
  std::string_view v = it->value();
  constexpr std::string_view kPrefix = "Bearer ";
  if (v.size() <= kPrefix.size() || !v.starts_with(kPrefix)) return {};
  return v.substr(kPrefix.size());
}

std::string combined_field(const Request& req, std::string_view name) {
  std::string out;
  auto [first, last] = req.equal_range(name);
  for (auto it = first; it != last; ++it) {
    if (it->value().empty()) continue;  // an empty line adds no list element
    if (!out.empty()) out += ", ";
    out += it->value();
  }
  return out;
}

void combine_field_lines(Request& req, std::string_view name) {
  if (req.count(name) < 2) return;
  std::string value = combined_field(req, name);
  req.erase(name);
  req.insert(name, value);
}

}  // namespace pulseboard::http
