#include "proto/rfc3339.hpp"

#include <doctest/doctest.h>

using namespace relay::proto;

TEST_CASE("RFC 3339 timestamps in UTC with milliseconds") {
  CHECK(format_rfc3339_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339_ms(951782400123) == "2000-02-29T00:00:00.123Z");
  CHECK(format_rfc3339_ms(1795472086313) == "2026-11-23T22:14:46.313Z");
  CHECK(format_rfc3339_ms(4102444799999) == "2099-12-31T23:59:59.999Z");
}

TEST_CASE("RFC 3339 parsing: zones, fractions, and refusals") {
  CHECK(parse_rfc3339_ms("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339_ms("2026-11-23T22:14:46.313Z") == 1795472086313);
  CHECK(parse_rfc3339_ms("2026-11-23T23:14:46.3139+01:00") == 1795472086313);
  CHECK(parse_rfc3339_ms("2000-02-29t00:00:00.123z") == 951782400123);
  CHECK(parse_rfc3339_ms("2016-12-31T23:59:60Z") == parse_rfc3339_ms("2016-12-31T23:59:59Z"));
  for (const char* bad : {"", "2026-11-23", "2026-11-23T22:14:46", "2026-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T22:14:46.Z",
                          "1969-12-31T23:59:59Z", "2026-11-23T22:14:46Z "}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_rfc3339_ms(bad));
  }
}

TEST_CASE("RFC 3339: every day of a leap and a common year round-trips") {
  std::uint64_t ms = 946684800000;  // 2000-01-01, a leap year (divisible by 400)
  for (int d = 0; d < 366 + 365; ++d, ms += 86'400'000) {
    CAPTURE(format_rfc3339_ms(ms));
    CHECK(parse_rfc3339_ms(format_rfc3339_ms(ms)) == ms);
  }
  CHECK(format_rfc3339_ms(4107456000000) == "2100-02-28T00:00:00.000Z");
  CHECK(format_rfc3339_ms(4107456000000 + 86'400'000) == "2100-03-01T00:00:00.000Z");  // not leap
  CHECK_FALSE(parse_rfc3339_ms("2100-02-29T00:00:00Z"));
}
