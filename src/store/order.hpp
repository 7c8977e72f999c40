#pragma once
// The order the API writes and the worker reads, with its one JSON form (the data-path
// contract): {"id","amount","status","category","createdAt","updatedAt"}, timestamps as
// ISO-8601 UTC with milliseconds.
#include <boost/json/fwd.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard::store {

enum class OrderStatus { pending, completed, cancelled, refunded };

inline constexpr std::array<OrderStatus, 4> kOrderStatuses{
    OrderStatus::pending, OrderStatus::completed, OrderStatus::cancelled, OrderStatus::refunded};

std::string_view to_string(OrderStatus status);
// Exact, case-sensitive names ("pending", ...); anything else is nullopt.
std::optional<OrderStatus> parse_order_status(std::string_view name);

struct Order {
  std::string id;
  double amount = 0;
  OrderStatus status = OrderStatus::pending;
  std::string category;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;

  friend bool operator==(const Order&, const Order&) = default;
};

boost::json::object to_json(const Order& order);
std::string to_json_string(const Order& order);
// Reads the contract form; nullopt when a field is missing or has the wrong type or value.
// Extra fields are ignored (readers are lenient; the API validates what clients send).
std::optional<Order> order_from_json(const boost::json::value& json);

}  // namespace pulseboard::store
