#include "changes/event_id.hpp"

#include <charconv>

#include "changes/pgoutput_decoder.hpp"

namespace pulseboard::changes {
namespace {

constexpr std::string_view kSqlite = "sqlite:";
constexpr std::string_view kPostgres = "postgres:";

// The whole of `text` as an unsigned decimal number.
std::optional<std::uint64_t> whole_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<EventOrder> postgres_order(std::string_view rest) {
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto lsn = pgoutput::parse_lsn(rest.substr(0, colon));
  auto index = whole_number(rest.substr(colon + 1));
  if (!lsn || !index) return std::nullopt;
  return EventOrder{*lsn, *index};
}

}  // namespace

std::string sqlite_event_id(std::int64_t outbox_position) {
  return std::string(kSqlite) + std::to_string(outbox_position);
}

std::string postgres_event_id(std::uint64_t commit_lsn, std::size_t index_in_transaction) {
  return std::string(kPostgres) + pgoutput::format_lsn(commit_lsn) + ":" +
         std::to_string(index_in_transaction);
}

std::string mongo_event_id(std::string_view resume_token) {
  return "mongo:" + std::string(resume_token);
}

std::string rebuild_event_id(std::string_view order_id) {
  return "rebuild:" + std::string(order_id);
}

std::optional<EventOrder> event_order(std::string_view id) {
  if (id.starts_with(kPostgres)) return postgres_order(id.substr(kPostgres.size()));
  if (id.starts_with(kSqlite)) {
    if (auto position = whole_number(id.substr(kSqlite.size()))) return EventOrder{*position, 0};
  }
  return std::nullopt;
}

}  // namespace pulseboard::changes
