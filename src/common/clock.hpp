#pragma once
// The one clock and timestamp grammar of the data path. Timestamps cross every seam as unix
// milliseconds and appear in JSON as ISO-8601 UTC with milliseconds ("2026-11-28T04:00:00.000Z"),
// the form JavaScript's Date#toISOString prints. Database-specific text forms (PostgreSQL's
// "2026-11-28 04:00:00.123+00") are rewritten into this grammar by the code that reads them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard {

// Always `YYYY-MM-DDTHH:MM:SS.sssZ` (years 0000..9999; earlier or later values are clamped).
std::string format_iso8601_ms(std::int64_t unix_ms);

// Accepts `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|z|±HH:MM)`; digits past milliseconds are truncated.
// Anything else (missing zone, impossible dates such as 2026-02-30) is nullopt.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

std::int64_t now_unix_ms();

}  // namespace pulseboard
