#include "auth/jwt_claims.hpp"

#include <cmath>

namespace pulseboard::auth {
namespace {

namespace json = boost::json;

enum class Lookup { absent, wrong_type, found };

// A NumericDate: seconds since the epoch, integer or fractional (RFC 7519 section 2).
Lookup numeric_date(const json::object& payload, std::string_view name, double& out) {
  const json::value* v = payload.if_contains(name);
  if (!v) return Lookup::absent;
  if (v->is_int64()) {
    out = static_cast<double>(v->get_int64());
  } else if (v->is_uint64()) {
    out = static_cast<double>(v->get_uint64());
  } else if (v->is_double() && std::isfinite(v->get_double())) {
    out = v->get_double();
  } else {
    return Lookup::wrong_type;
  }
  return Lookup::found;
}

// "aud" is a string or an array of strings; any element matching the configured audience is
// enough (RFC 7519 section 4.1.3).
JwtError check_audience(const json::value* aud, const std::string& expected) {
  if (!aud) return JwtError::missing_claim;
  if (const auto* one = aud->if_string()) {
    return *one == expected ? JwtError::none : JwtError::wrong_audience;
  }
  const auto* many = aud->if_array();
  if (!many) return JwtError::bad_json;
  bool matched = false;
  for (const auto& item : *many) {
    const auto* s = item.if_string();
    if (!s) return JwtError::bad_json;
    matched = matched || *s == expected;
  }
  return matched ? JwtError::none : JwtError::wrong_audience;
}

// "scope": a space-separated list of scope tokens (RFC 8693 section 4.2, RFC 6749 section 3.3),
// or an array of strings, one scope each. Any other shape is refused, never read as "no scope".
JwtError read_scopes(const json::value* scope, std::vector<std::string>& out) {
  if (!scope) return JwtError::none;
  if (const auto* text = scope->if_string()) {
    std::string_view rest = *text;
    while (!rest.empty()) {
      const auto end = rest.find(' ');
      if (const auto token = rest.substr(0, end); !token.empty()) out.emplace_back(token);
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
    return JwtError::none;
  }
  const auto* list = scope->if_array();
  if (!list) return JwtError::bad_json;
  for (const auto& item : *list) {
    const auto* one = item.if_string();
    if (!one) return JwtError::bad_json;
    if (!one->empty()) out.emplace_back(*one);
  }
  return JwtError::none;
}

}  // namespace

bool Claims::has_scope(std::string_view scope) const {
  for (const auto& s : scopes)
    if (s == scope) return true;
  return false;
}

namespace {

// exp and nbf against the clock, with the configured leeway.
JwtError check_times(const json::object& payload, const JwtConfig& config,
                     std::chrono::system_clock::time_point now) {
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double leeway_s = static_cast<double>(config.leeway.count());
  double exp = 0;
  switch (numeric_date(payload, "exp", exp)) {
    case Lookup::wrong_type:
      return JwtError::bad_json;
    case Lookup::absent:
      if (config.require_exp) return JwtError::missing_claim;
      break;
    case Lookup::found:
      // "The current date/time MUST be before the expiration date/time."
      if (now_s >= exp + leeway_s) return JwtError::expired;
      break;
  }
  double nbf = 0;
  switch (numeric_date(payload, "nbf", nbf)) {
    case Lookup::wrong_type:
      return JwtError::bad_json;
    case Lookup::absent:
      break;
    case Lookup::found:
      if (now_s + leeway_s < nbf) return JwtError::not_yet_valid;
      break;
  }
  return JwtError::none;
}

JwtError check_issuer_and_audience(const json::object& payload, const JwtConfig& config) {
  if (config.issuer) {
    const json::value* iss = payload.if_contains("iss");
    if (!iss) return JwtError::missing_claim;
    if (!iss->is_string()) return JwtError::bad_json;
    if (iss->get_string() != *config.issuer) return JwtError::wrong_issuer;
  }
  if (config.audience) return check_audience(payload.if_contains("aud"), *config.audience);
  return JwtError::none;
}

// The rooms claim (when configured): an array of strings, or bad_json.
JwtError read_rooms(const json::value* rooms, std::optional<std::vector<std::string>>& out) {
  if (!rooms) return JwtError::none;
  const auto* list = rooms->if_array();
  if (!list) return JwtError::bad_json;
  std::vector<std::string> names;
  names.reserve(list->size());
  for (const auto& item : *list) {
    const auto* name = item.if_string();
    if (!name) return JwtError::bad_json;
    names.emplace_back(*name);
  }
  out = std::move(names);
  return JwtError::none;
}

}  // namespace

std::variant<Claims, JwtError> check_claims(json::object payload, const JwtConfig& config,
                                            std::chrono::system_clock::time_point now) {
  if (auto e = check_times(payload, config, now); e != JwtError::none) return e;
  if (auto e = check_issuer_and_audience(payload, config); e != JwtError::none) return e;
  Claims claims;
  if (const json::value* sub = payload.if_contains("sub")) {
    if (!sub->is_string()) return JwtError::bad_json;
    claims.subject = sub->get_string();
  }
  if (!config.rooms_claim.empty()) {
    if (auto e = read_rooms(payload.if_contains(config.rooms_claim), claims.rooms);
        e != JwtError::none)
      return e;
  }
  if (auto e = read_scopes(payload.if_contains("scope"), claims.scopes); e != JwtError::none)
    return e;
  claims.payload = std::move(payload);
  return claims;
}

}  // namespace pulseboard::auth
