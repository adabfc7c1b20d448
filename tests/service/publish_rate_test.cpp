#include "service/publish_rate.hpp"

#include <doctest/doctest.h>

using relay::service::PublishRate;
using namespace std::chrono_literals;

namespace {
const PublishRate::Clock::time_point t0{};
}

TEST_CASE("no rate: everything is allowed and nothing is remembered") {
  PublishRate rate(0, 0);
  CHECK_FALSE(rate.enabled());
  for (int i = 0; i < 1000; ++i) CHECK(rate.take("p", 100, t0).allowed);
  CHECK(rate.producers() == 0);
}

TEST_CASE("a producer gets its burst at once, then the rate; a refusal takes nothing") {
  PublishRate rate(10, 20);
  CHECK(rate.take("p", 20, t0).allowed);
  const auto refused = rate.take("p", 5, t0);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after == 1s);  // 5 events at 10/s: half a second, rounded up
  CHECK_FALSE(refused.over_burst);
  CHECK(rate.take("p", 5, t0 + 500ms).allowed);   // refilled 5 in 0.5 s
  CHECK_FALSE(rate.take("p", 1, t0 + 500ms).allowed);
  const auto long_wait = rate.take("p", 20, t0 + 500ms);
  CHECK(long_wait.retry_after == 2s);
  CHECK(rate.take("p", 20, t0 + 2500ms).allowed);  // the bucket never holds more than the burst
  CHECK_FALSE(rate.take("p", 1, t0 + 2500ms).allowed);
}

TEST_CASE("producers have their own buckets") {
  PublishRate rate(1, 1);
  CHECK(rate.take("a", 1, t0).allowed);
  CHECK_FALSE(rate.take("a", 1, t0).allowed);
  CHECK(rate.take("b", 1, t0).allowed);
}

TEST_CASE("a request larger than the burst never fits, and says so") {
  PublishRate rate(100, 50);
  const auto verdict = rate.take("p", 51, t0);
  CHECK_FALSE(verdict.allowed);
  CHECK(verdict.over_burst);
  CHECK(rate.take("p", 50, t0).allowed);  // the refused batch took nothing
}

TEST_CASE("burst 0 means one second's worth, at least one event") {
  CHECK(PublishRate(25, 0).burst() == 25);
  CHECK(PublishRate(0.5, 0).burst() == 1);
}

TEST_CASE("the table is bounded: full buckets are forgotten when it fills") {
  PublishRate rate(1, 1, 3);
  for (const char* p : {"a", "b", "c"}) CHECK(rate.take(p, 1, t0).allowed);
  CHECK(rate.producers() == 3);
  // All three are mid-burst: a fourth is served untracked rather than growing the table.
  CHECK(rate.take("d", 1, t0).allowed);
  CHECK(rate.producers() == 3);
  // A second later they have refilled: forgotten, and the newcomer is tracked.
  CHECK(rate.take("e", 1, t0 + 1s).allowed);
  CHECK(rate.producers() == 1);
  CHECK_FALSE(rate.take("e", 1, t0 + 1s).allowed);
}
