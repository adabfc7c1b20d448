#include "infra/telemetry/export_retry.hpp"

#include <doctest/doctest.h>

using namespace relay::infra;
using namespace std::chrono_literals;

TEST_CASE("retryable answers: 429, 502, 503, 504 and nothing else") {
  for (unsigned s : {429U, 502U, 503U, 504U}) CHECK(retryable_status(s));
  for (unsigned s : {200U, 400U, 401U, 404U, 413U, 500U, 501U}) CHECK_FALSE(retryable_status(s));
}

TEST_CASE("Retry-After: delta-seconds capped at a minute; dates and garbage ignored") {
  CHECK(parse_retry_after("0") == 0ms);
  CHECK(parse_retry_after("3") == 3000ms);
  CHECK(parse_retry_after("3600") == 60000ms);
  for (const char* bad : {"", "-1", "1.5", "3 ", "Wed, 21 Oct 2015 07:28:00 GMT"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_retry_after(bad));
  }
}

TEST_CASE("the wait is jittered within [backoff/2, backoff], never below Retry-After") {
  std::mt19937 random(42);
  bool below_full = false;
  for (int i = 0; i < 200; ++i) {
    const auto w = retry_wait(400ms, std::nullopt, random);
    CHECK(w >= 200ms);
    CHECK(w <= 400ms);
    below_full = below_full || w < 390ms;
  }
  CHECK(below_full);  // it is spread, not a constant
  for (int i = 0; i < 50; ++i) CHECK(retry_wait(400ms, 2000ms, random) == 2000ms);
  CHECK(next_backoff(200ms, 5000ms) == 400ms);
  CHECK(next_backoff(4000ms, 5000ms) == 5000ms);
}
