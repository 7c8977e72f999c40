#include "common/clock.hpp"

#include <chrono>
#include <cstdio>

namespace pulseboard {
namespace {

using namespace std::chrono;

constexpr std::int64_t kMinMs = -62167219200000;  // 0000-01-01T00:00:00.000Z
constexpr std::int64_t kMaxMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

// Reads exactly n decimal digits.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool at(std::string_view s, std::size_t pos, char c) {
  return pos < s.size() && s[pos] == c;
}

}  // namespace

std::string format_iso8601_ms(std::int64_t unix_ms) {
  if (unix_ms < kMinMs) unix_ms = kMinMs;
  if (unix_ms > kMaxMs) unix_ms = kMaxMs;
  const sys_time<milliseconds> tp{milliseconds{unix_ms}};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{tp - day};
  char buf[64];  // ample for any int fields, so -Wformat-truncation has nothing to prove
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(tod.hours().count()),
                int(tod.minutes().count()), int(tod.seconds().count()),
                int(tod.subseconds().count()));
  return buf;
}

std::optional<std::int64_t> parse_iso8601_ms(std::string_view s) {
  auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  auto h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec) return std::nullopt;
  if (!at(s, 4, '-') || !at(s, 7, '-') || !(at(s, 10, 'T') || at(s, 10, 't')) || !at(s, 13, ':') ||
      !at(s, 16, ':'))
    return std::nullopt;
  const year_month_day ymd{year{*y}, month{unsigned(*mo)}, day{unsigned(*d)}};
  if (!ymd.ok() || *h > 23 || *mi > 59 || *sec > 59) return std::nullopt;

  std::size_t pos = 19;
  int ms = 0;
  if (at(s, pos, '.')) {
    ++pos;
    std::size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) ms = ms * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0 || n > 9) return std::nullopt;
    for (; n < 3; ++n) ms *= 10;
  }

  int offset_minutes = 0;
  if (at(s, pos, 'Z') || at(s, pos, 'z')) {
    ++pos;
  } else if (at(s, pos, '+') || at(s, pos, '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    auto oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (!oh || !om || !at(s, pos + 3, ':') || *oh > 23 || *om > 59) return std::nullopt;
    offset_minutes = sign * (*oh * 60 + *om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  const auto local = sys_days{ymd} + hours{*h} + minutes{*mi} + seconds{*sec} + milliseconds{ms};
  return duration_cast<milliseconds>(local.time_since_epoch()).count() -
         std::int64_t{offset_minutes} * 60'000;
}

std::int64_t now_unix_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace pulseboard
