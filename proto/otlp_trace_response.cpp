#include "proto/otlp_trace_response.hpp"

#include "proto/protobuf_reader.hpp"

namespace relay::proto {

namespace {

bool parse_partial_success(std::string_view body, ExportTraceAnswer& out) {
  ProtobufReader r(body);
  while (!r.done()) {
    std::uint32_t field = 0, wire = 0;
    if (!r.tag(field, wire)) return false;
    if (field == 1 && wire == 0) {  // int64 rejected_spans
      std::uint64_t v = 0;
      if (!r.varint(v)) return false;
      out.rejected_spans = static_cast<std::int64_t>(v);
    } else if (field == 2 && wire == 2) {  // string error_message
      std::string_view text;
      if (!r.bytes(text)) return false;
      out.error_message = std::string(text);
    } else if (!r.skip(wire)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<ExportTraceAnswer> parse_export_trace_response(std::string_view body) {
  ExportTraceAnswer answer;
  ProtobufReader r(body);
  while (!r.done()) {
    std::uint32_t field = 0, wire = 0;
    if (!r.tag(field, wire)) return std::nullopt;
    if (field == 1 && wire == 2) {  // ExportTracePartialSuccess partial_success
      std::string_view inner;
      if (!r.bytes(inner) || !parse_partial_success(inner, answer)) return std::nullopt;
    } else if (!r.skip(wire)) {
      return std::nullopt;
    }
  }
  return answer;
}

}  // namespace relay::proto
