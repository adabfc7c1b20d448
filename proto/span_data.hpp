#pragma once
// A finished span as the OTLP exporter sends it: the subset of the OpenTelemetry trace
// data model this relay records (no events, no links).
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "proto/traceparent.hpp"

namespace relay::proto {

/// Values as in opentelemetry/proto/trace/v1/trace.proto (Span.SpanKind).
enum class SpanKind : std::uint8_t {
  internal = 1,
  server = 2,
  client = 3,
  producer = 4,
  consumer = 5
};

/// Values as in Status.StatusCode.
enum class SpanStatus : std::uint8_t { unset = 0, ok = 1, error = 2 };

using AttributeValue = std::variant<std::string, std::int64_t, double, bool>;

struct Attribute {
  std::string key;
  AttributeValue value;
};

struct SpanData {
  TraceContext context;     ///< This span's trace id, span id and flags.
  SpanId parent_span_id{};  ///< All zero for a root span.
  std::string trace_state;  ///< The producer's tracestate, passed on unchanged.
  std::string name;
  SpanKind kind = SpanKind::internal;
  std::uint64_t start_unix_ns = 0;
  std::uint64_t end_unix_ns = 0;
  std::vector<Attribute> attributes;
  SpanStatus status = SpanStatus::unset;
  std::string status_message;  ///< Only sent with SpanStatus::error.
};

/// Who emitted the spans: the OTLP Resource (service.name, ...) and InstrumentationScope.
struct TelemetrySource {
  std::vector<Attribute> resource;
  std::string scope_name;
  std::string scope_version;
};

}  // namespace relay::proto
