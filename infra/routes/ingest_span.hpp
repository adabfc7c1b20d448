#pragma once
// The SERVER span around an ingest request (POST /api/domain-events, POST /api/events):
// parented by the producer's traceparent/tracestate when valid (invalid ones are ignored,
// as W3C Trace Context says), with the HTTP semantic-convention attributes.
#include <string>
#include <string_view>

#include "infra/http/http_types.hpp"
#include "service/telemetry/tracer.hpp"

namespace relay::infra {

/// The producer's context from the request headers; empty when absent or invalid.
service::SpanParent producer_context(const Request& req);

service::Span start_ingest_span(service::Tracer& tracer, const Request& req, std::string_view route,
                                const service::SpanParent& parent);

/// Records the status (ERROR for 5xx only: a 4xx is the client's fault, not the server's).
void finish_ingest_span(service::Span& span, const Response& res);

/// The trace a log line about this request belongs to: the ingest span's when tracing is
/// on, else the producer's own trace id, so logs still join the producer's trace.
std::string log_trace_id(const service::Span& span, const service::SpanParent& parent);

}  // namespace relay::infra
