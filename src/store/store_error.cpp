#include "store/order_store.hpp"

namespace pulseboard::store {

std::string_view to_string(StoreError error) {
  switch (error) {
    case StoreError::not_found:
      return "not_found";
    case StoreError::idempotency_conflict:
      return "idempotency_conflict";
    case StoreError::invalid_cursor:
      return "invalid_cursor";
    case StoreError::unavailable:
      return "unavailable";
    case StoreError::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace pulseboard::store
