#include "service/eviction_policy.hpp"

#include <memory>

#include <doctest/doctest.h>

using namespace relay;
using namespace relay::service;
using namespace std::chrono_literals;

namespace {
void add(FrameLog& log, std::uint64_t ms, std::size_t bytes) {
  log.append({ms, 0}, "a", "", "", std::make_shared<const std::string>(bytes, 'x'));
}
const std::chrono::steady_clock::time_point policy_t0{std::chrono::seconds(100)};
}  // namespace

TEST_CASE("eviction: lagging past the log, or too many unsent bytes") {
  FrameLog log(4);
  for (std::uint64_t i = 1; i <= 6; ++i) add(log, i, 100);  // positions 2..5 kept
  auto limits = [](std::uint64_t bytes) { return EvictionLimits{bytes, 0ms}; };
  CHECK(eviction_for({1, 1, policy_t0}, log, limits(10'000), policy_t0) == EvictionReason::lagging);
  CHECK(eviction_for({1, 3, policy_t0}, log, limits(10'000), policy_t0) == std::nullopt);  // in flight: 1..2
  CHECK(eviction_for({2, 2, policy_t0}, log, limits(10'000), policy_t0) == std::nullopt);
  CHECK(eviction_for({2, 6, policy_t0}, log, limits(399), policy_t0) == EvictionReason::slow_consumer);
  CHECK(eviction_for({2, 6, policy_t0}, log, limits(400), policy_t0) == std::nullopt);
  CHECK(eviction_for({6, 6, policy_t0}, log, limits(0), policy_t0) == std::nullopt);
  CHECK(to_string(EvictionReason::slow_consumer) == "slow_consumer");
}

TEST_CASE("eviction: a write older than the write timeout, unless the timeout is 0") {
  FrameLog log(4);
  add(log, 1, 100);
  const EvictionLimits limits{10'000, 250ms};
  CHECK(eviction_for({0, 1, policy_t0}, log, limits, policy_t0 + 249ms) == std::nullopt);
  CHECK(eviction_for({0, 1, policy_t0}, log, limits, policy_t0 + 250ms) == EvictionReason::write_timeout);
  CHECK(eviction_for({0, 1, policy_t0}, log, {10'000, 0ms}, policy_t0 + 24h) == std::nullopt);
  CHECK(to_string(EvictionReason::write_timeout) == "write_timeout");
  CHECK(std::size(all_eviction_reasons) == 4);
}
