#include "proto/rfc3339.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

namespace relay::proto {

namespace {

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view t, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > t.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (t[i] < '0' || t[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(t[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::uint64_t> parse_rfc3339_ms(std::string_view t) {
  unsigned year, month, day, hour, minute, second;
  if (!digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2, month) ||
      t[7] != '-' || !digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't') ||
      !digits(t, 11, 2, hour) || t[13] != ':' || !digits(t, 14, 2, minute) || t[16] != ':' ||
      !digits(t, 17, 2, second)) {
    return std::nullopt;
  }
  // The proleptic Gregorian calendar of <chrono>: no time zone, no libc call.
  const std::chrono::year_month_day date{std::chrono::year{static_cast<int>(year)},
                                         std::chrono::month{month}, std::chrono::day{day}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t pos = 19;
  unsigned millis = 0;
  if (pos < t.size() && t[pos] == '.') {
    std::size_t n = 0;
    for (++pos; pos < t.size() && t[pos] >= '0' && t[pos] <= '9'; ++pos, ++n) {
      if (n < 3) millis = millis * 10 + static_cast<unsigned>(t[pos] - '0');
    }
    if (n == 0) return std::nullopt;
    for (; n < 3; ++n) millis *= 10;
  }
  std::int64_t offset_s = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    unsigned oh, om;
    if (!digits(t, pos + 1, 2, oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !digits(t, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_s = (t[pos] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  // A leap second (:60) counts as :59, as Unix time has no place for it.
  const std::int64_t seconds =
      std::int64_t{std::chrono::sys_days{date}.time_since_epoch().count()} * 86400 +
      std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + std::int64_t{std::min(second, 59u)} -
      offset_s;
  if (seconds < 0) return std::nullopt;
  return static_cast<std::uint64_t>(seconds) * 1000 + millis;
}

std::string format_rfc3339_ms(std::uint64_t unix_ms) {
  const auto total_seconds = static_cast<std::int64_t>(unix_ms / 1000);
  const auto millis = static_cast<unsigned>(unix_ms % 1000);
  const std::chrono::sys_days days{std::chrono::days{total_seconds / 86400}};
  const auto second_of_day = static_cast<unsigned>(total_seconds % 86400);
  const std::chrono::year_month_day date{days};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60, millis);
}

}  // namespace relay::proto
