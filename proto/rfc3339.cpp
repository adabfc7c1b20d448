#include "proto/rfc3339.hpp"

#include <fmt/format.h>

namespace relay::proto {

namespace {

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// Howard Hinnant's days-from-civil inverse: exact for the proleptic Gregorian calendar,
// with no dependency on the process time zone or a libc call.
CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

}  // namespace

std::string format_rfc3339_ms(std::uint64_t unix_ms) {
  const auto total_seconds = static_cast<std::int64_t>(unix_ms / 1000);
  const auto millis = static_cast<unsigned>(unix_ms % 1000);
  const std::int64_t days = total_seconds / 86400;
  const auto second_of_day = static_cast<unsigned>(total_seconds % 86400);
  const auto date = civil_from_days(days);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", date.year, date.month, date.day,
                     second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60, millis);
}

}  // namespace relay::proto
