#pragma once
// The timestamp forms the sources meet: ISO-8601 UTC with milliseconds (the order JSON),
// PostgreSQL timestamptz text output, MongoDB dates (unix ms).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard::worker {

// 2026-11-28T04:00:00.000Z
std::string iso8601_from_unix_ms(std::int64_t ms);
// Accepts "YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH[:MM]]" (ISO-8601 and PostgreSQL's
// timestamptz output such as "2026-11-28 04:00:00.123+00"); nullopt otherwise.
std::optional<std::int64_t> unix_ms_from_timestamp(std::string_view text);

}  // namespace pulseboard::worker
