#include "bench_options.hpp"

#include <doctest/doctest.h>

#include "latency_recorder.hpp"

namespace relay::bench {

TEST_CASE("bench options: defaults per target, ranges checked, loopback only") {
  auto relay = std::get<BenchOptions>(parse_bench_options({"--subscribers", "10"}));
  CHECK(relay.sub_path == "/api/events/stream");
  CHECK(relay.pub_path == "/api/events");
  CHECK(relay.subscribers == 10);
  auto nchan = std::get<BenchOptions>(parse_bench_options({"--target", "nchan", "--rate", "50.5"}));
  CHECK(nchan.sub_path == "/sub");
  CHECK(nchan.rate == doctest::Approx(50.5));

  auto error = [](std::vector<std::string> args) {
    auto parsed = parse_bench_options(args);
    REQUIRE(std::holds_alternative<std::string>(parsed));
    return std::get<std::string>(parsed);
  };
  CHECK(error({"--host", "10.0.0.1"}) == "--host 10.0.0.1: only loopback addresses");
  CHECK(error({"--port", "0"}) == "--port: must be an integer in [1, 65535]");
  CHECK(error({"--target", "mercure"}) == "--target: must be relay or nchan");
  CHECK(error({"--window", "4", "--until", "delivered"}) == "--until delivered needs --window 1");
  CHECK(error({"--rate"}) == "--rate needs a value");
  CHECK(error({"--bogus"}).rfind("unknown option --bogus", 0) == 0);
}

TEST_CASE("latency percentiles are nearest-rank over every sample") {
  LatencyRecorder recorder;
  for (std::uint32_t us = 1000; us >= 1; --us) recorder.record_us(us * 1000);  // 1..1000 ms
  auto s = recorder.summarize();
  CHECK(s.count == 1000);
  CHECK(s.p50_ms == doctest::Approx(500));
  CHECK(s.p90_ms == doctest::Approx(900));
  CHECK(s.p99_ms == doctest::Approx(990));
  CHECK(s.p999_ms == doctest::Approx(999));
  CHECK(s.max_ms == doctest::Approx(1000));
  CHECK(LatencyRecorder{}.summarize().count == 0);
}

}  // namespace relay::bench
