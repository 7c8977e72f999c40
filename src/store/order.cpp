#include "store/order.hpp"

#include "common/clock.hpp"

#include <boost/json.hpp>
#include "common/json_text.hpp"

namespace pulseboard::store {

std::string_view to_string(OrderStatus status) {
  switch (status) {
    case OrderStatus::pending:
      return "pending";
    case OrderStatus::completed:
      return "completed";
    case OrderStatus::cancelled:
      return "cancelled";
    case OrderStatus::refunded:
      return "refunded";
  }
  return "pending";
}

std::optional<OrderStatus> parse_order_status(std::string_view name) {
  for (OrderStatus s : kOrderStatuses)
    if (to_string(s) == name) return s;
  return std::nullopt;
}

boost::json::object to_json(const Order& order) {
  boost::json::object o;
  o["id"] = order.id;
  o["amount"] = order.amount;
  o["status"] = to_string(order.status);
  o["category"] = order.category;
  o["createdAt"] = format_iso8601_ms(order.created_at_ms);
  o["updatedAt"] = format_iso8601_ms(order.updated_at_ms);
  return o;
}

std::string to_json_string(const Order& order) {
  return to_json_text(to_json(order));
}

std::optional<Order> order_from_json(const boost::json::value& json) {
  const auto* o = json.if_object();
  if (!o) return std::nullopt;
  auto str = [&](std::string_view key) -> const boost::json::string* {
    auto it = o->find(key);
    return it == o->end() ? nullptr : it->value().if_string();
  };
  const auto* id = str("id");
  const auto* status = str("status");
  const auto* category = str("category");
  const auto* created = str("createdAt");
  const auto* updated = str("updatedAt");
  auto amount_it = o->find("amount");
  if (!id || !status || !category || !created || !updated || amount_it == o->end() ||
      !amount_it->value().is_number())
    return std::nullopt;
  auto parsed_status = parse_order_status(*status);
  auto created_ms = parse_iso8601_ms(*created);
  auto updated_ms = parse_iso8601_ms(*updated);
  if (!parsed_status || !created_ms || !updated_ms) return std::nullopt;
  return Order{std::string(*id), amount_it->value().to_number<double>(),
               *parsed_status,   std::string(*category),
               *created_ms,      *updated_ms};
}

}  // namespace pulseboard::store
