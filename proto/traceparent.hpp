#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and
// `tracestate` headers a producer sends, parsed into ids, and written back out.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace relay::proto {

using TraceId = std::array<std::uint8_t, 16>;
using SpanId = std::array<std::uint8_t, 8>;

/// The position of one span in one trace, as traceparent carries it.
struct TraceContext {
  TraceId trace_id{};
  SpanId span_id{};
  std::uint8_t flags = 0;  ///< Bit 0: sampled.

  [[nodiscard]] bool sampled() const { return (flags & 1U) != 0; }
  /// False for the all-zero ids the spec forbids (also: "no context").
  [[nodiscard]] bool valid() const;
};

/// Parses a traceparent header. Version 00 must be exactly 55 characters; a later version
/// is read by its first four fields, as the spec asks; version ff, upper-case hex, all-zero
/// ids and any other shape give nullopt (ignored, never an error).
std::optional<TraceContext> parse_traceparent(std::string_view value);

/// True when parse_traceparent accepts the value.
bool is_valid_traceparent(std::string_view value);

/// "00-<trace id>-<span id>-<flags>", lower-case hex.
std::string format_traceparent(const TraceContext& context);

/// A tracestate header is passed on only when every list member is well formed
/// (key=value, at most 32 members, 512 characters); otherwise it is dropped, as the
/// spec says, and the traceparent is still used.
bool is_valid_tracestate(std::string_view value);

/// Lower-case hex of raw bytes (trace and span ids in logs and envelopes).
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace relay::proto
