#include "service/telemetry/sampler.hpp"

#include <charconv>

#include <fmt/format.h>

namespace relay::service {

namespace {

// TraceIdRatioBased must give the same answer for a trace id in every service of a trace:
// like the Go and Java SDKs, compare the low 8 bytes (the random part of a W3C id) with
// ratio * 2^63 after dropping one bit.
bool ratio_says_yes(double ratio, const proto::TraceId& id) {
  if (ratio >= 1.0) return true;
  if (ratio <= 0.0) return false;
  std::uint64_t low = 0;
  for (std::size_t i = 8; i < 16; ++i) low = (low << 8U) | id[i];
  const auto bound = static_cast<std::uint64_t>(ratio * 9223372036854775808.0);  // 2^63
  return (low >> 1U) < bound;
}

}  // namespace

bool Sampler::should_sample(const std::optional<proto::TraceContext>& parent,
                            const proto::TraceId& trace_id) const {
  switch (kind) {
    case Kind::always_on:
      return true;
    case Kind::always_off:
      return false;
    case Kind::traceidratio:
      return ratio_says_yes(ratio, trace_id);
    case Kind::parentbased_always_on:
      return parent ? parent->sampled() : true;
    case Kind::parentbased_always_off:
      return parent ? parent->sampled() : false;
    case Kind::parentbased_traceidratio:
      return parent ? parent->sampled() : ratio_says_yes(ratio, trace_id);
  }
  return false;
}

std::optional<Sampler> Sampler::parse(std::string_view name, std::string_view arg,
                                      std::string& error) {
  Sampler s;
  if (name.empty() || name == "parentbased_always_on") {
    s.kind = Kind::parentbased_always_on;
  } else if (name == "always_on") {
    s.kind = Kind::always_on;
  } else if (name == "always_off") {
    s.kind = Kind::always_off;
  } else if (name == "traceidratio") {
    s.kind = Kind::traceidratio;
  } else if (name == "parentbased_always_off") {
    s.kind = Kind::parentbased_always_off;
  } else if (name == "parentbased_traceidratio") {
    s.kind = Kind::parentbased_traceidratio;
  } else {
    error = fmt::format(
        "OTEL_TRACES_SAMPLER: unknown sampler '{}' (always_on, always_off, traceidratio, "
        "parentbased_always_on, parentbased_always_off, parentbased_traceidratio)",
        name);
    return std::nullopt;
  }
  if (s.kind == Kind::traceidratio || s.kind == Kind::parentbased_traceidratio) {
    if (!arg.empty()) {
      double ratio = 0;
      const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), ratio);
      if (ec != std::errc{} || end != arg.data() + arg.size() || !(ratio >= 0.0 && ratio <= 1.0)) {
        error = fmt::format("OTEL_TRACES_SAMPLER_ARG: '{}' is not a ratio between 0 and 1", arg);
        return std::nullopt;
      }
      s.ratio = ratio;
    }
  }
  return s;
}

std::string Sampler::describe() const {
  switch (kind) {
    case Kind::always_on:
      return "always_on";
    case Kind::always_off:
      return "always_off";
    case Kind::traceidratio:
      return fmt::format("traceidratio({})", ratio);
    case Kind::parentbased_always_on:
      return "parentbased_always_on";
    case Kind::parentbased_always_off:
      return "parentbased_always_off";
    case Kind::parentbased_traceidratio:
      return fmt::format("parentbased_traceidratio({})", ratio);
  }
  return "?";
}

}  // namespace relay::service
