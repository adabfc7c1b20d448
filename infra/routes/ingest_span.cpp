#include "infra/routes/ingest_span.hpp"

#include "infra/config/config_values.hpp"

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

#include "proto/traceparent.hpp"

namespace relay::infra {

namespace http = boost::beast::http;

service::SpanParent producer_context(const Request& req) {
  service::SpanParent parent;
  parent.context = proto::parse_traceparent(req["traceparent"]);
  // tracestate without a valid traceparent means nothing; an invalid one is dropped.
  if (parent.context && proto::is_valid_tracestate(req["tracestate"]))
    parent.tracestate = req["tracestate"];
  return parent;
}

service::Span start_ingest_span(service::Tracer& tracer, const Request& req, std::string_view route,
                                const service::SpanParent& parent) {
  const std::string_view method = req.method_string();
  auto span =
      tracer.start_span(fmt::format("{} {}", method, route), proto::SpanKind::server, parent);
  if (!span.recording()) return span;
  span.set("http.request.method", method)
      .set("http.route", route)
      .set("url.path", req.target().substr(0, req.target().find('?')))
      .set("url.scheme", "http")
      .set("network.protocol.version", req.version() == 11 ? "1.1" : "1.0")
      .set("http.request.body.size", static_cast<std::uint64_t>(req.body().size()));
  // server.address/port as the client addressed us (Host), per the HTTP conventions.
  const std::string_view host = req[http::field::host];
  const auto colon = host.rfind(':');
  if (!host.empty() && host.back() != ']') {
    span.set("server.address", host.substr(0, colon));
    if (colon != std::string_view::npos) {
      // Digits only, no overflow: a hostile Host (a long or signed "port") sets nothing.
      if (const auto port = parse_uint(host.substr(colon + 1));
          port && *port > 0 && *port < 65536) {
        span.set("server.port", static_cast<std::int64_t>(*port));
      }
    }
  }
  if (const std::string_view agent = req[http::field::user_agent]; !agent.empty())
    span.set("user_agent.original", agent);
  return span;
}

void finish_ingest_span(service::Span& span, const Response& res) {
  const auto status = res.result_int();
  span.set("http.response.status_code", static_cast<std::int64_t>(status));
  if (status >= 500) {
    span.set("error.type", std::to_string(status));
    span.set_error(fmt::format("HTTP {}", status));
  }
  span.end();
}

std::string log_trace_id(const service::Span& span, const service::SpanParent& parent) {
  if (auto own = span.trace_id_hex(); !own.empty()) return own;
  return parent.context ? proto::to_hex(parent.context->trace_id) : std::string{};
}

}  // namespace relay::infra
