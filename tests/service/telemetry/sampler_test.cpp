#include "service/telemetry/sampler.hpp"

#include <doctest/doctest.h>

using namespace relay;
using service::Sampler;

namespace {
proto::TraceId id_with_low(std::uint64_t low) {
  proto::TraceId id{};
  id[0] = 0xab;
  for (int i = 0; i < 8; ++i) id[15 - i] = static_cast<std::uint8_t>(low >> (8 * i));
  return id;
}
Sampler parse(std::string_view name, std::string_view arg = {}) {
  std::string error;
  auto s = Sampler::parse(name, arg, error);
  REQUIRE_MESSAGE(s, error);
  return *s;
}
}  // namespace

TEST_CASE("sampler names and arguments as OTEL_TRACES_SAMPLER(_ARG) give them") {
  CHECK(parse("").kind == Sampler::Kind::parentbased_always_on);  // the SDK default
  CHECK(parse("always_off").kind == Sampler::Kind::always_off);
  CHECK(parse("traceidratio", "0.25").ratio == 0.25);
  CHECK(parse("parentbased_traceidratio").ratio == 1.0);
  std::string error;
  CHECK_FALSE(Sampler::parse("sometimes", "", error));
  CHECK(error.find("OTEL_TRACES_SAMPLER: unknown sampler 'sometimes'") == 0);
  for (const char* bad : {"1.5", "-0.1", "half", "0.5x"}) {
    CAPTURE(bad);
    CHECK_FALSE(Sampler::parse("traceidratio", bad, error));
    CHECK(error.find("OTEL_TRACES_SAMPLER_ARG") == 0);
  }
}

TEST_CASE("parent-based samplers follow the remote parent's sampled flag") {
  proto::TraceContext sampled;
  sampled.flags = 1;
  proto::TraceContext unsampled;
  const auto id = id_with_low(~0ULL);
  CHECK(parse("parentbased_always_on").should_sample(sampled, id));
  CHECK_FALSE(parse("parentbased_always_on").should_sample(unsampled, id));
  CHECK(parse("parentbased_always_off").should_sample(sampled, id));
  CHECK_FALSE(parse("parentbased_always_off").should_sample(std::nullopt, id));
  CHECK(parse("parentbased_always_on").should_sample(std::nullopt, id));
  // always_* ignore the parent.
  CHECK(parse("always_on").should_sample(unsampled, id));
  CHECK_FALSE(parse("always_off").should_sample(sampled, id));
}

TEST_CASE("traceidratio keeps a trace when its low 8 bytes fall under ratio * 2^64") {
  const auto half = parse("traceidratio", "0.5");
  CHECK(half.should_sample(std::nullopt, id_with_low(0)));
  CHECK(half.should_sample(std::nullopt, id_with_low(0x7fffffffffffffffULL)));
  CHECK_FALSE(half.should_sample(std::nullopt, id_with_low(0x8000000000000000ULL)));
  CHECK_FALSE(parse("traceidratio", "0").should_sample(std::nullopt, id_with_low(0)));
  CHECK(parse("traceidratio", "1").should_sample(std::nullopt, id_with_low(~0ULL)));
  // Over evenly spread ids the kept share is the ratio.
  const auto quarter = parse("parentbased_traceidratio", "0.25");
  int kept = 0;
  for (std::uint64_t i = 0; i < 1000; ++i)
    kept += quarter.should_sample(std::nullopt, id_with_low(i * (~0ULL / 1000))) ? 1 : 0;
  CHECK(kept == doctest::Approx(250).epsilon(0.01));
}
