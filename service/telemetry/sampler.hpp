#pragma once
// Head sampling as OTEL_TRACES_SAMPLER names it (OpenTelemetry SDK configuration spec).
#include <optional>
#include <string>
#include <string_view>

#include "proto/traceparent.hpp"

namespace relay::service {

struct Sampler {
  enum class Kind {
    always_on,
    always_off,
    traceidratio,
    parentbased_always_on,
    parentbased_always_off,
    parentbased_traceidratio,
  };
  Kind kind = Kind::parentbased_always_on;  ///< The SDK's default.
  double ratio = 1.0;                       ///< For the *traceidratio kinds, in [0, 1].

  /// Whether a new span with this trace id is recorded and exported. Parent-based kinds
  /// follow a remote parent's sampled flag and apply their root rule only to new traces.
  [[nodiscard]] bool should_sample(const std::optional<proto::TraceContext>& parent,
                                   const proto::TraceId& trace_id) const;

  /// e.g. "parentbased_traceidratio" + "0.25"; the description of the error otherwise.
  static std::optional<Sampler> parse(std::string_view name, std::string_view arg,
                                      std::string& error);
  [[nodiscard]] std::string describe() const;
};

}  // namespace relay::service
