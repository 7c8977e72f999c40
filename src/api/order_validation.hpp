#pragma once
// What the orders API accepts, as pure functions: each returns the parsed value or the first
// rule the input breaks, named so a client can act on it (docs/api.md lists every rule).
#include "store/order_store.hpp"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace pulseboard::api {

inline constexpr double kMaxAmount = 1e12;
inline constexpr std::size_t kMaxCategoryChars = 64;
inline constexpr std::size_t kMaxListLimit = 200;
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 255;

struct ValidationError {
  std::string field;  // body field, query parameter or header; empty for the body as a whole
  std::string rule;   // stable machine-readable name, e.g. "max_2_decimals"
  std::string message;

  friend bool operator==(const ValidationError&, const ValidationError&) = default;
};

template <class T>
using Validated = std::variant<T, ValidationError>;

// A JSON parse failure, explained ("... at byte 17").
struct MalformedJson {
  std::string message;
};
std::variant<boost::json::value, MalformedJson> parse_json_body(std::string_view body);

// Field rules (also used for query parameters where they apply).
Validated<double> validate_amount(const boost::json::value& amount);
Validated<store::OrderStatus> validate_status(const boost::json::value& status);
Validated<std::string> validate_category(const boost::json::value& category);
std::optional<ValidationError> check_category_text(std::string_view category);

// Bodies: POST {amount, category, status?} and PATCH {status?, amount?}.
Validated<store::NewOrder> validate_new_order(const boost::json::value& body);
Validated<store::OrderPatch> validate_order_patch(const boost::json::value& body);

// GET /api/v1/orders?status=&category=&from=&to=&limit=&cursor= (the encoded text after '?').
Validated<store::ListQuery> validate_list_query(std::string_view encoded_query);
// from/to: ISO-8601 with a zone, or unix milliseconds.
Validated<std::int64_t> parse_time_param(std::string_view field, std::string_view text);

// Idempotency-Key header: 1..255 visible ASCII characters.
std::optional<ValidationError> check_idempotency_key(std::string_view key);

// Store ids are 20 URL-safe base64 characters; accept that alphabet up to 64 characters so a
// path that cannot name an order is a 404 without a database round trip.
bool plausible_order_id(std::string_view id);

// `{"error":{"code":"validation_failed","message":...,"field":...,"rule":...}}`'s extra fields.
std::string error_fields_json(const ValidationError& error);

}  // namespace pulseboard::api
