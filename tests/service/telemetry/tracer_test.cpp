#include "service/telemetry/tracer.hpp"

#include <vector>

#include <doctest/doctest.h>

using namespace relay;
using namespace relay::service;

namespace {
struct TickClock final : Clock {
  mutable std::uint64_t ns = 1'800'000'000'000'000'000ULL;
  [[nodiscard]] std::uint64_t now_unix_ms() const override { return ns / 1'000'000; }
  [[nodiscard]] std::uint64_t now_unix_ns() const override { return ns += 1000; }
};
struct RecordingSpanSink final : SpanSink {
  std::vector<proto::SpanData> ended;
  void on_end(proto::SpanData&& span) override { ended.push_back(std::move(span)); }
};
const auto producer =
    proto::parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
}  // namespace

TEST_CASE("tracing off: spans carry no context and cost nothing") {
  TickClock clock;
  Tracer tracer(clock, Sampler{}, nullptr);
  auto span = tracer.start_span("x", proto::SpanKind::server, {producer, "a=b"});
  CHECK_FALSE(tracer.enabled());
  CHECK_FALSE(span.recording());
  CHECK_FALSE(span.context().valid());
  CHECK(span.traceparent().empty());
  CHECK(span.trace_id_hex().empty());
  CHECK(tracer.spans_started() == 0);
}

TEST_CASE("a span under a remote parent joins its trace; its children join it") {
  TickClock clock;
  RecordingSpanSink sink;
  Tracer tracer(clock, Sampler{}, &sink);
  auto ingest = tracer.start_span("POST /api/domain-events", proto::SpanKind::server,
                                  {producer, "vendor=abc"});
  REQUIRE(ingest.recording());
  CHECK(ingest.context().trace_id == producer->trace_id);
  CHECK(ingest.context().span_id != producer->span_id);
  CHECK(ingest.traceparent().starts_with("00-0af7651916cd43dd8448eb211c80319c-"));
  CHECK(ingest.traceparent().ends_with("-01"));
  {
    auto handle =
        tracer.start_span("domain.handle X", proto::SpanKind::internal, ingest.as_parent());
    handle.set("relay.event_id", "1-0").set("n", 3).set("ok", true);
    handle.set_error("boom");
  }  // ends on destruction
  ingest.end();
  ingest.end();  // a second end does nothing
  REQUIRE(sink.ended.size() == 2);
  const auto& handle = sink.ended[0];
  const auto& root = sink.ended[1];
  CHECK(root.parent_span_id == producer->span_id);
  CHECK(root.trace_state == "vendor=abc");
  CHECK(root.kind == proto::SpanKind::server);
  CHECK(handle.context.trace_id == producer->trace_id);
  CHECK(handle.parent_span_id == root.context.span_id);
  CHECK(handle.trace_state == "vendor=abc");  // tracestate travels to local children
  CHECK(handle.name == "domain.handle X");
  CHECK(handle.attributes.size() == 3);
  CHECK(std::get<std::string>(handle.attributes[0].value) == "1-0");
  CHECK(std::get<std::int64_t>(handle.attributes[1].value) == 3);
  CHECK(std::get<bool>(handle.attributes[2].value));
  CHECK(handle.status == proto::SpanStatus::error);
  CHECK(handle.status_message == "boom");
  CHECK(root.start_unix_ns < handle.start_unix_ns);
  CHECK(handle.end_unix_ns < root.end_unix_ns);
}

TEST_CASE("without a parent a span starts a new trace with fresh ids") {
  TickClock clock;
  RecordingSpanSink sink;
  Tracer tracer(clock, Sampler{}, &sink);
  auto a = tracer.start_span("a", proto::SpanKind::internal);
  auto b = tracer.start_span("b", proto::SpanKind::internal);
  CHECK(a.context().valid());
  CHECK(a.context().trace_id != b.context().trace_id);
  a.end();
  CHECK(sink.ended.at(0).parent_span_id == proto::SpanId{});
}

TEST_CASE("an unsampled span records nothing but still passes its context on") {
  TickClock clock;
  RecordingSpanSink sink;
  Tracer tracer(clock, Sampler{}, &sink);  // parentbased_always_on
  auto unsampled_parent = *producer;
  unsampled_parent.flags = 0;
  auto span = tracer.start_span("x", proto::SpanKind::server, {unsampled_parent, ""});
  CHECK_FALSE(span.recording());
  CHECK(span.context().valid());
  CHECK(span.traceparent().ends_with("-00"));
  CHECK(span.context().trace_id == producer->trace_id);
  span.set("ignored", 1);
  span.end();
  CHECK(sink.ended.empty());
  CHECK(tracer.spans_started() == 1);
  CHECK(tracer.spans_sampled() == 0);
}

TEST_CASE("moving a span moves its ending: it ends once, from its new owner") {
  TickClock clock;
  RecordingSpanSink sink;
  Tracer tracer(clock, Sampler{}, &sink);
  Span kept;
  {
    auto span = tracer.start_span("moved", proto::SpanKind::internal);
    kept = std::move(span);
  }
  CHECK(sink.ended.empty());
  kept = tracer.start_span("second", proto::SpanKind::internal);  // the first ends here
  REQUIRE(sink.ended.size() == 1);
  CHECK(sink.ended[0].name == "moved");
}
