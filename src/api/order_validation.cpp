#include "api/order_validation.hpp"

#include "common/clock.hpp"
#include "common/utf8.hpp"
#include "store/cursor.hpp"

#include <boost/json.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace pulseboard::api {
namespace {

ValidationError fail(std::string field, std::string rule, std::string message) {
  return {std::move(field), std::move(rule), std::move(message)};
}

// Code points of valid UTF-8, or nullopt. Boost.JSON already rejects invalid UTF-8 in bodies;
// percent-decoded query values can hold any bytes, so they are checked here.
std::optional<std::size_t> utf8_length(std::string_view s) {
  if (!is_valid_utf8(s)) return std::nullopt;
  // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// C0 controls, DEL, and C1 controls (U+0080..U+009F, encoded C2 80..C2 9F).
bool has_control_chars(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7F) return true;
    if (b == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;
  }
  return false;
}

// Digits after the decimal point in the shortest text that reads back as `value`: 19.99 has 2
// even though the double is 19.989999..., 0.1 + 0.2 has 17.
std::size_t decimal_places(double value) {
  char buf[512];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  if (ec != std::errc{}) return sizeof buf;
  const std::string_view text(buf, end - buf);
  const auto dot = text.find('.');
  return dot == std::string_view::npos ? 0 : text.size() - dot - 1;
}

// Fields the store assigns; naming them in a body is a mistake worth its own rule.
bool read_only_field(std::string_view name) {
  return name == "id" || name == "createdAt" || name == "updatedAt";
}

std::optional<ValidationError> check_fields(const boost::json::object& body,
                                            std::initializer_list<std::string_view> allowed,
                                            bool category_read_only) {
  for (const auto& [key, value] : body) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    if (read_only_field(key) || (category_read_only && key == "category"))
      return fail(key, "read_only", std::string(key) + " cannot be set by a client");
    return fail(key, "unknown_field", "unknown field '" + std::string(key) + "'");
  }
  return std::nullopt;
}

std::string allowed_statuses() {
  std::string out;
  for (auto s : store::kOrderStatuses) {
    if (!out.empty()) out += ", ";
    out += store::to_string(s);
  }
  return out;
}

Validated<store::OrderStatus> status_from_text(std::string_view text) {
  if (auto s = store::parse_order_status(text)) return *s;
  return fail("status", "enum", "status must be one of " + allowed_statuses());
}

}  // namespace

std::variant<boost::json::value, MalformedJson> parse_json_body(std::string_view body) {
  boost::json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(body.data(), body.size(), ec);
  if (!ec && used < body.size()) ec = boost::json::error::extra_data;
  if (!ec) parser.finish(ec);
  if (ec)
    return MalformedJson{"request body is not valid JSON: " + ec.message() + " at byte " +
                         std::to_string(used)};
  return parser.release();
}

Validated<double> validate_amount(const boost::json::value& v) {
  if (!v.is_number()) return fail("amount", "type", "amount must be a number");
  const double amount = v.to_number<double>();
  if (!std::isfinite(amount)) return fail("amount", "finite", "amount must be finite");
  // -0.0 compares equal to 0 but is stored and printed as "-0": it counts as negative. ("-0"
  // without a fraction or exponent is the integer 0.)
  if (amount < 0 || std::signbit(amount))
    return fail("amount", "non_negative", "amount must not be negative");
  if (amount > kMaxAmount) return fail("amount", "max", "amount must be at most 1000000000000");
  if (v.is_double() && decimal_places(amount) > 2)
    return fail("amount", "max_2_decimals", "amount must have at most 2 decimal places");
  return amount;
}

Validated<store::OrderStatus> validate_status(const boost::json::value& v) {
  if (!v.is_string()) return fail("status", "type", "status must be a string");
  return status_from_text(v.get_string());
}

std::optional<ValidationError> check_category_text(std::string_view category) {
  const auto chars = utf8_length(category);
  if (!chars) return fail("category", "utf8", "category must be valid UTF-8");
  if (*chars == 0 || *chars > kMaxCategoryChars)
    return fail("category", "length",
                "category must be 1 to 64 characters long, got " + std::to_string(*chars));
  if (has_control_chars(category))
    return fail("category", "control_chars", "category must not contain control characters");
  return std::nullopt;
}

Validated<std::string> validate_category(const boost::json::value& v) {
  if (!v.is_string()) return fail("category", "type", "category must be a string");
  const std::string_view text = v.get_string();
  if (auto err = check_category_text(text)) return *err;
  return std::string(text);
}

Validated<store::NewOrder> validate_new_order(const boost::json::value& body) {
  const auto* o = body.if_object();
  if (!o) return fail("", "object", "request body must be a JSON object");
  if (auto err = check_fields(*o, {"amount", "category", "status"}, false)) return *err;
  store::NewOrder order;
  const auto* amount = o->if_contains("amount");
  if (!amount) return fail("amount", "required", "amount is required");
  auto a = validate_amount(*amount);
  if (auto* err = std::get_if<ValidationError>(&a)) return *err;
  order.amount = std::get<double>(a);

  const auto* category = o->if_contains("category");
  if (!category) return fail("category", "required", "category is required");
  auto c = validate_category(*category);
  if (auto* err = std::get_if<ValidationError>(&c)) return *err;
  order.category = std::move(std::get<std::string>(c));

  if (const auto* status = o->if_contains("status")) {
    auto s = validate_status(*status);
    if (auto* err = std::get_if<ValidationError>(&s)) return *err;
    order.status = std::get<store::OrderStatus>(s);
  }
  return order;
}

Validated<store::OrderPatch> validate_order_patch(const boost::json::value& body) {
  const auto* o = body.if_object();
  if (!o) return fail("", "object", "request body must be a JSON object");
  if (auto err = check_fields(*o, {"status", "amount"}, true)) return *err;
  store::OrderPatch patch;
  if (const auto* status = o->if_contains("status")) {
    auto s = validate_status(*status);
    if (auto* err = std::get_if<ValidationError>(&s)) return *err;
    patch.status = std::get<store::OrderStatus>(s);
  }
  if (const auto* amount = o->if_contains("amount")) {
    auto a = validate_amount(*amount);
    if (auto* err = std::get_if<ValidationError>(&a)) return *err;
    patch.amount = std::get<double>(a);
  }
  if (!patch.status && !patch.amount)
    return fail("", "at_least_one", "a patch must set at least one of status, amount");
  return patch;
}

Validated<std::int64_t> parse_time_param(std::string_view field, std::string_view text) {
  if (auto ms = parse_iso8601_ms(text)) return *ms;
  // Unix milliseconds: plain digits, at most 15 (year 33658), no sign.
  std::int64_t ms = 0;
  if (!text.empty() && text.size() <= 15 &&
      text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::from_chars(text.data(), text.data() + text.size(), ms);
    return ms;
  }
  return fail(std::string(field), "format",
              std::string(field) +
                  " must be an ISO-8601 time with a zone (2026-11-28T04:00:00.000Z) or unix "
                  "milliseconds");
}

Validated<store::ListQuery> validate_list_query(std::string_view encoded_view) {
  store::ListQuery q;
  if (encoded_view.empty()) return q;
  // Boost.URL 1.81's parse_query() measures its input with strlen (it builds its result from
  // s.data() alone), so it must get a NUL-terminated copy, not a view into the request target.
  const std::string encoded_query(encoded_view);
  if (!boost::urls::parse_query(encoded_query))
    return fail("", "query_syntax", "the query string is not valid (bad percent-encoding?)");
  // Forms send spaces as '+'.
  const boost::urls::params_view params(encoded_query, boost::urls::encoding_opts(true));
  std::set<std::string, std::less<>> seen;
  for (const auto& p : params) {
    const std::string& key = p.key;
    const std::string& value = p.value;
    if (!seen.insert(key).second)
      return fail(key, "duplicate", "query parameter '" + key + "' is given more than once");
    if (key == "status") {
      auto s = status_from_text(value);
      if (auto* err = std::get_if<ValidationError>(&s)) return *err;
      q.status = std::get<store::OrderStatus>(s);
    } else if (key == "category") {
      if (auto err = check_category_text(value)) return *err;
      q.category = value;
    } else if (key == "from" || key == "to") {
      auto t = parse_time_param(key, value);
      if (auto* err = std::get_if<ValidationError>(&t)) return *err;
      (key == "from" ? q.from_ms : q.to_ms) = std::get<std::int64_t>(t);
    } else if (key == "limit") {
      std::size_t limit = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || limit < 1 ||
          limit > kMaxListLimit)
        return fail("limit", "range", "limit must be an integer from 1 to 200");
      q.limit = limit;
    } else if (key == "cursor") {
      if (!store::decode_cursor(value))
        return fail("cursor", "cursor",
                    "cursor is not one this API issued; pass nextCursor from a previous page");
      q.cursor = value;
    } else {
      return fail(key, "unknown_field",
                  "unknown query parameter '" + key +
                      "' (expected status, category, from, to, limit, cursor)");
    }
  }
  if (q.from_ms && q.to_ms && *q.from_ms >= *q.to_ms)
    return fail("to", "range", "to must be later than from");
  return q;
}

std::optional<ValidationError> check_idempotency_key(std::string_view key) {
  const bool visible_ascii = std::all_of(key.begin(), key.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F;
  });
  if (key.empty() || key.size() > kMaxIdempotencyKeyBytes || !visible_ascii)
    return fail("Idempotency-Key", "format",
                "Idempotency-Key must be 1 to 255 visible ASCII characters");
  return std::nullopt;
}

bool plausible_order_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
             std::string_view::npos;
}

std::string error_fields_json(const ValidationError& error) {
  std::string out;
  if (!error.field.empty()) {
    out += R"("field":)";
    out += boost::json::serialize(boost::json::string(error.field));
    out += ',';
  }
  out += R"("rule":)";
  out += boost::json::serialize(boost::json::string(error.rule));
  return out;
}

}  // namespace pulseboard::api
