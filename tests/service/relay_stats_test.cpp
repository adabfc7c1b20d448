#include "service/relay_stats.hpp"

#include <doctest/doctest.h>

using namespace relay::service;

TEST_CASE("types are counted by name up to the cap; the rest together under (other)") {
  RelayStats s;
  s.count_type("a.one");
  s.count_type("a.one");
  for (std::size_t i = 0; i < 100'000; ++i) s.count_type("t." + std::to_string(i));
  CHECK(s.per_type.size() == RelayStats::max_counted_types + 1);
  CHECK(s.per_type.at("a.one").published == 2);
  CHECK(s.per_type.at("t.0").published == 1);
  // 1 + 100,000 distinct names offered, 256 - 1 of them counted by name; (other) has the rest.
  CHECK(s.per_type.at("(other)").published == 100'000 - (RelayStats::max_counted_types - 1));
  s.count_type("a.one");  // a type already counted by name keeps its own count
  CHECK(s.per_type.at("a.one").published == 3);
}

TEST_CASE("the latency histogram puts each observation in its first fitting bucket") {
  LatencyHistogram h;
  h.observe(0.0004);
  h.observe(0.003);
  h.observe(42);
  CHECK(h.count == 3);
  CHECK(h.in_bucket[0] == 1);
  CHECK(h.in_bucket[3] == 1);  // 0.005
  std::uint64_t bucketed = 0;
  for (auto n : h.in_bucket) bucketed += n;
  CHECK(bucketed == 2);  // above the last bound: only in count and sum
  CHECK(h.sum > 42);
}
