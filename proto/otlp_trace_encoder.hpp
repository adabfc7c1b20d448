#pragma once
// OTLP/HTTP protobuf body for POST <endpoint>/v1/traces: an ExportTraceServiceRequest
// (opentelemetry/proto/collector/trace/v1/trace_service.proto) with one ResourceSpans and
// one ScopeSpans holding the given spans.
#include <span>
#include <string>

#include "proto/span_data.hpp"

namespace relay::proto {

std::string encode_export_trace_request(const TelemetrySource& source,
                                        std::span<const SpanData> spans);

}  // namespace relay::proto
