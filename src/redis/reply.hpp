#pragma once
// A Redis reply as a value: nil, integer, string (bulk or status), error, or an array of
// replies. Errors carry where they came from, so callers can tell a server refusal from a lost
// connection or our own pending-command bound.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

struct redisReply;

namespace pulseboard::redis {

enum class ErrorKind {
  server = 1,  // Redis answered with an error reply (-ERR, -MOVED, -NOAUTH, ...)
  connection,  // not connected, connection lost or stopped before a reply arrived
  overloaded,  // the pending-command bound was reached; the command was not sent
  protocol,    // the client refused the command (e.g. several channels in one SUBSCRIBE)
};

struct Error {
  ErrorKind kind = ErrorKind::server;
  std::string message;
  bool operator==(const Error&) const = default;
};

struct Reply;
using Array = std::vector<Reply>;

struct Reply {
  std::variant<std::monostate, std::int64_t, std::string, Error, Array> value;

  bool is_nil() const { return std::holds_alternative<std::monostate>(value); }
  bool is_error() const { return std::holds_alternative<Error>(value); }
  std::optional<std::int64_t> integer() const;
  const std::string* string() const { return std::get_if<std::string>(&value); }
  const Error* error() const { return std::get_if<Error>(&value); }
  const Array* array() const { return std::get_if<Array>(&value); }

  static Reply make_error(ErrorKind kind, std::string message) {
    return Reply{Error{kind, std::move(message)}};
  }
};

// Deep copy of a hiredis reply tree (the tree is freed by the caller).
Reply from_hiredis(const redisReply& r);

const std::error_category& error_category();
std::error_code make_error_code(ErrorKind kind);

}  // namespace pulseboard::redis

template <>
struct std::is_error_code_enum<pulseboard::redis::ErrorKind> : std::true_type {};
