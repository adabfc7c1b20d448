#include "proto/otlp_trace_encoder.hpp"

#include <string_view>
#include <type_traits>

#include "proto/protobuf_writer.hpp"

namespace relay::proto {

namespace {

// Field numbers of opentelemetry-proto v1 (common.proto, resource.proto, trace.proto).
namespace field {
constexpr std::uint32_t request_resource_spans = 1;
constexpr std::uint32_t resource_spans_resource = 1, resource_spans_scope_spans = 2;
constexpr std::uint32_t resource_attributes = 1;
constexpr std::uint32_t scope_spans_scope = 1, scope_spans_spans = 2;
constexpr std::uint32_t scope_name = 1, scope_version = 2;
constexpr std::uint32_t span_trace_id = 1, span_span_id = 2, span_trace_state = 3,
                        span_parent_span_id = 4, span_name = 5, span_kind = 6, span_start = 7,
                        span_end = 8, span_attributes = 9, span_status = 15;
constexpr std::uint32_t status_message = 2, status_code = 3;
constexpr std::uint32_t key_value_key = 1, key_value_value = 2;
constexpr std::uint32_t any_string = 1, any_bool = 2, any_int = 3, any_double = 4;
}  // namespace field

template <std::size_t N>
std::string_view raw(const std::array<std::uint8_t, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

void write_attribute(ProtobufWriter& w, std::uint32_t field_number, const Attribute& a) {
  const auto kv = w.begin_message(field_number);
  w.bytes(field::key_value_key, a.key);
  const auto any = w.begin_message(field::key_value_value);
  std::visit(
      [&w](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          w.bytes(field::any_string, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          w.varint(field::any_bool, v ? 1 : 0);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          w.varint(field::any_int, static_cast<std::uint64_t>(v));  // two's complement, 10 bytes
        } else {
          w.float64(field::any_double, v);
        }
      },
      a.value);
  w.end_message(any);
  w.end_message(kv);
}

void write_span(ProtobufWriter& w, const SpanData& s) {
  const auto span = w.begin_message(field::scope_spans_spans);
  w.bytes(field::span_trace_id, raw(s.context.trace_id));
  w.bytes(field::span_span_id, raw(s.context.span_id));
  if (!s.trace_state.empty()) w.bytes(field::span_trace_state, s.trace_state);
  if (s.parent_span_id != SpanId{}) w.bytes(field::span_parent_span_id, raw(s.parent_span_id));
  w.bytes(field::span_name, s.name);
  w.varint(field::span_kind, static_cast<std::uint64_t>(s.kind));
  w.fixed64(field::span_start, s.start_unix_ns);
  w.fixed64(field::span_end, s.end_unix_ns);
  for (const auto& a : s.attributes) write_attribute(w, field::span_attributes, a);
  if (s.status != SpanStatus::unset) {
    const auto status = w.begin_message(field::span_status);
    if (s.status == SpanStatus::error && !s.status_message.empty())
      w.bytes(field::status_message, s.status_message);
    w.varint(field::status_code, static_cast<std::uint64_t>(s.status));
    w.end_message(status);
  }
  w.end_message(span);
}

}  // namespace

std::string encode_export_trace_request(const TelemetrySource& source,
                                        std::span<const SpanData> spans) {
  std::string out;
  out.reserve(256 + spans.size() * 320);
  ProtobufWriter w(out);
  const auto resource_spans = w.begin_message(field::request_resource_spans);
  const auto resource = w.begin_message(field::resource_spans_resource);
  for (const auto& a : source.resource) write_attribute(w, field::resource_attributes, a);
  w.end_message(resource);
  const auto scope_spans = w.begin_message(field::resource_spans_scope_spans);
  const auto scope = w.begin_message(field::scope_spans_scope);
  w.bytes(field::scope_name, source.scope_name);
  if (!source.scope_version.empty()) w.bytes(field::scope_version, source.scope_version);
  w.end_message(scope);
  for (const auto& s : spans) write_span(w, s);
  w.end_message(scope_spans);
  w.end_message(resource_spans);
  return out;
}

}  // namespace relay::proto
