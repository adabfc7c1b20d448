// The encoder read back field by field with a minimal wire-format reader (the black-box
// suite decodes the same bytes with the official OpenTelemetry generated code).
#include "proto/otlp_trace_encoder.hpp"

#include "proto/protobuf_reader.hpp"

#include <map>
#include <vector>

#include <doctest/doctest.h>

using namespace relay::proto;

namespace {

struct Field {
  std::uint32_t number;
  std::uint32_t wire;
  std::uint64_t value = 0;  // varint / fixed64
  std::string bytes;        // length-delimited
};

// Read back with the same reader the exporter uses on answers (proto/protobuf_reader).
std::vector<Field> fields(std::string_view in) {
  std::vector<Field> out;
  ProtobufReader r(in);
  while (!r.done()) {
    Field f{0, 0, 0, {}};
    REQUIRE(r.tag(f.number, f.wire));
    if (f.wire == 0) {
      REQUIRE(r.varint(f.value));
    } else if (f.wire == 1) {
      REQUIRE(r.fixed64(f.value));
    } else {
      REQUIRE(f.wire == 2);
      std::string_view payload;
      REQUIRE(r.bytes(payload));
      f.bytes = std::string(payload);
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Field> all(const std::vector<Field>& fs, std::uint32_t number) {
  std::vector<Field> out;
  for (const auto& f : fs)
    if (f.number == number) out.push_back(f);
  return out;
}

Field one(const std::vector<Field>& fs, std::uint32_t number) {
  auto found = all(fs, number);
  REQUIRE(found.size() == 1);
  return found[0];
}

// KeyValue list -> key -> AnyValue fields.
std::map<std::string, Field> attributes(const std::vector<Field>& fs, std::uint32_t number) {
  std::map<std::string, Field> out;
  for (const auto& kv : all(fs, number)) {
    const auto parts = fields(kv.bytes);
    const auto any = fields(one(parts, 2).bytes);
    REQUIRE(any.size() == 1);
    out[one(parts, 1).bytes] = any[0];
  }
  return out;
}

SpanData sample_span() {
  SpanData s;
  s.context = *parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  s.parent_span_id = {1, 2, 3, 4, 5, 6, 7, 8};
  s.trace_state = "vendor=abc";
  s.name = "sse.broadcast worker.created";
  s.kind = SpanKind::producer;
  s.start_unix_ns = 1'800'000'000'000'000'001ULL;
  s.end_unix_ns = 1'800'000'000'000'500'000ULL;
  s.attributes = {{"messaging.system", std::string("sse")},
                  {"sse.subscribers", std::int64_t{-3}},
                  {"ratio", 0.5},
                  {"drained", true}};
  return s;
}

}  // namespace

TEST_CASE("ExportTraceServiceRequest: resource, scope and every span field in place") {
  TelemetrySource source{{{"service.name", std::string("sse-relay")}}, "sse-relay", "1.2.3"};
  auto root = sample_span();
  root.parent_span_id = {};
  root.trace_state.clear();
  root.status = SpanStatus::error;
  root.status_message = "HTTP 503";
  const std::vector<SpanData> spans{sample_span(), root};
  const auto body = encode_export_trace_request(source, spans);

  const auto request = fields(body);
  REQUIRE(request.size() == 1);
  const auto resource_spans = fields(one(request, 1).bytes);
  const auto resource = fields(one(resource_spans, 1).bytes);
  CHECK(attributes(resource, 1).at("service.name").bytes == "sse-relay");
  const auto scope_spans = fields(one(resource_spans, 2).bytes);
  const auto scope = fields(one(scope_spans, 1).bytes);
  CHECK(one(scope, 1).bytes == "sse-relay");
  CHECK(one(scope, 2).bytes == "1.2.3");
  const auto span_list = all(scope_spans, 2);
  REQUIRE(span_list.size() == 2);

  const auto s = fields(span_list[0].bytes);
  CHECK(to_hex(std::span(reinterpret_cast<const std::uint8_t*>(one(s, 1).bytes.data()), 16)) ==
        "0af7651916cd43dd8448eb211c80319c");
  CHECK(one(s, 2).bytes == std::string("\xb7\xad\x6b\x71\x69\x20\x33\x31", 8));
  CHECK(one(s, 3).bytes == "vendor=abc");
  CHECK(one(s, 4).bytes == std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  CHECK(one(s, 5).bytes == "sse.broadcast worker.created");
  CHECK(one(s, 6).wire == 0);
  CHECK(one(s, 6).value == 4);  // SPAN_KIND_PRODUCER
  CHECK(one(s, 7).wire == 1);   // fixed64
  CHECK(one(s, 7).value == 1'800'000'000'000'000'001ULL);
  CHECK(one(s, 8).value == 1'800'000'000'000'500'000ULL);
  const auto attrs = attributes(s, 9);
  CHECK(attrs.at("messaging.system").number == 1);  // string_value
  CHECK(attrs.at("messaging.system").bytes == "sse");
  CHECK(attrs.at("sse.subscribers").number == 3);  // int_value, two's complement
  CHECK(static_cast<std::int64_t>(attrs.at("sse.subscribers").value) == -3);
  CHECK(attrs.at("ratio").number == 4);  // double_value
  double ratio = 0;
  const auto bits = attrs.at("ratio").value;
  std::memcpy(&ratio, &bits, 8);
  CHECK(ratio == 0.5);
  CHECK(attrs.at("drained").number == 2);  // bool_value
  CHECK(attrs.at("drained").value == 1);
  CHECK(all(s, 15).empty());  // status unset: no Status message

  const auto r = fields(span_list[1].bytes);
  CHECK(all(r, 3).empty());  // no tracestate
  CHECK(all(r, 4).empty());  // a root span has no parent_span_id
  const auto status = fields(one(r, 15).bytes);
  CHECK(one(status, 2).bytes == "HTTP 503");
  CHECK(one(status, 3).value == 2);  // STATUS_CODE_ERROR
}

TEST_CASE("an empty batch is still a well-formed request") {
  const auto body = encode_export_trace_request({{}, "sse-relay", ""}, {});
  const auto resource_spans = fields(one(fields(body), 1).bytes);
  CHECK(all(fields(one(resource_spans, 2).bytes), 2).empty());
}

#include "proto/otlp_trace_response.hpp"
#include "proto/protobuf_writer.hpp"

TEST_CASE("ExportTraceServiceResponse: full success, partial success, unknown fields, garbage") {
  auto empty = parse_export_trace_response("");
  REQUIRE(empty);
  CHECK(empty->rejected_spans == 0);

  std::string body;
  ProtobufWriter w(body);
  w.varint(7, 1);  // an unknown field before: skipped
  const auto partial = w.begin_message(1);
  w.varint(1, 3).bytes(2, "span name too long").fixed64(9, 0);
  w.end_message(partial);
  auto answer = parse_export_trace_response(body);
  REQUIRE(answer);
  CHECK(answer->rejected_spans == 3);
  CHECK(answer->error_message == "span name too long");

  CHECK_FALSE(parse_export_trace_response("\x0a\x05\x08"));  // length past the end
  CHECK_FALSE(parse_export_trace_response("\x0b"));          // a group: not OTLP
  CHECK_FALSE(parse_export_trace_response("\x08\xff"));      // varint cut short
}
