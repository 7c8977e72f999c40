#include "redis/reply.hpp"

#include <hiredis/hiredis.h>

namespace pulseboard::redis {

std::optional<std::int64_t> Reply::integer() const {
  if (auto* i = std::get_if<std::int64_t>(&value)) return *i;
  return std::nullopt;
}

Reply from_hiredis(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      return Reply{static_cast<std::int64_t>(r.integer)};
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return Reply{std::string(r.str, r.len)};
    case REDIS_REPLY_ERROR:
      return Reply::make_error(ErrorKind::server, std::string(r.str, r.len));
    case REDIS_REPLY_ARRAY: {
      Array items;
      items.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) items.push_back(from_hiredis(*r.element[i]));
      return Reply{std::move(items)};
    }
    default:
      return Reply{};
  }
}

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "pulseboard.redis"; }
  std::string message(int ev) const override {
    switch (static_cast<ErrorKind>(ev)) {
      case ErrorKind::server:
        return "redis replied with an error";
      case ErrorKind::connection:
        return "redis connection unavailable";
      case ErrorKind::overloaded:
        return "too many pending redis commands";
      case ErrorKind::protocol:
        return "redis command refused by the client";
    }
    return "unknown redis error";
  }
};

}  // namespace

const std::error_category& error_category() {
  static const Category category;
  return category;
}

std::error_code make_error_code(ErrorKind kind) {
  return {static_cast<int>(kind), error_category()};
}

}  // namespace pulseboard::redis
