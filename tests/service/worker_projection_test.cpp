#include "service/worker_projection.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include "../support/relay_fixture.hpp"
#include "proto/traceparent.hpp"

using namespace relay;
using namespace relay::service;
using relay::test::RecordingSink;
using relay::test::RelayFixture;
using relay::test::SpanRecorder;

namespace {

domain::WorkerCreated created(std::string id) {
  return {std::move(id), "n", "eu-west-1", "m5", domain::WorkerStatus::pending, 1000};
}
domain::WorkerTelemetryUpdated telemetry(std::string id, std::uint64_t at) {
  return {std::move(id), {12.5, 40, 2, at}};
}

// Folds a fixed sequence into a fresh fixture; returns every frame of its log, in order.
std::vector<std::string> fold_script(RelayFixture& fx) {
  fx.fold(created("w-1"));
  fx.fold(domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::running, 2000});
  fx.fold(domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::running, 2500});  // no change
  fx.fold(telemetry("w-1", 3000));
  fx.fold(telemetry("w-1", 2000));  // stale
  fx.fold(domain::WorkerTerminated{"w-1", "scaled in", 4000});
  fx.fold(telemetry("w-1", 5000));  // after termination: refused by the fold
  std::vector<std::string> frames;
  const auto& log = fx.relay->frame_log();
  for (auto p = log.begin_position(); p < log.end_position(); ++p)
    frames.push_back(*log.at(p).frame);
  return frames;
}

}  // namespace

TEST_CASE("every log event holds a position; silent and refused ones have no frame") {
  RelayFixture fx;
  fx.config.history = 100;
  fx.build();
  const auto frames = fold_script(fx);
  REQUIRE(frames.size() == 7);
  CHECK(frames[0].find("event: worker.created\n") != std::string::npos);
  CHECK(frames[1].find("event: worker.status.updated\n") != std::string::npos);
  CHECK(frames[2].empty());  // the same status: accepted, changes nothing
  CHECK(frames[3].find("event: worker.metrics.updated\n") != std::string::npos);
  CHECK(frames[4].empty());  // stale sample
  CHECK(frames[5].find("event: worker.terminated\n") != std::string::npos);
  CHECK(frames[6].empty());  // refused: the worker is terminated
  fx.io.run_for(std::chrono::milliseconds(20));
  const auto& s = fx.relay->stats();
  CHECK(s.broadcast_latency.count == 4);  // broadcasts only: silent entries have no latency
  CHECK(s.events_broadcast == 4);
  CHECK(s.events_silent == 3);
  CHECK(s.fold_rejected == 1);
  CHECK(fx.projection->folded_by_type().at("CMLWorkerTelemetryUpdatedDomainEvent") == 2);
  CHECK(fx.projection->last_event_id() == fx.relay->frame_log().newest().id);
  const auto* w = fx.projection->registry().find("w-1");
  REQUIRE(w != nullptr);
  CHECK(w->status == domain::WorkerStatus::terminated);
}

TEST_CASE("the fold is deterministic: the same log gives the same frames, bytes for bytes") {
  RelayFixture a;
  RelayFixture b;
  CHECK(fold_script(a) == fold_script(b));
}

TEST_CASE("a frame's envelope: id and time from the log id, the context it was accepted under") {
  RelayFixture fx;
  const std::string accepted = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const auto id = fx.fold(created("w-9"), "e1", accepted);
  const auto& frame = *fx.relay->frame_log().newest().frame;
  const auto data = frame.substr(frame.find("data: ") + 6);
  simdjson::dom::parser parser;
  auto doc = parser.parse(data.substr(0, data.find('\n')));
  CHECK(std::string_view(doc["id"].get_string().value()) == id.to_string());
  CHECK(std::string_view(doc["time"].get_string().value()) == "2027-01-15T08:00:00.000Z");
  CHECK(std::string_view(doc["subject"].get_string().value()) == "worker/w-9");
  CHECK(std::string_view(doc["traceparent"].get_string().value()) == accepted);
  CHECK(std::string_view(doc["data"]["worker_id"].get_string().value()) == "w-9");
}

TEST_CASE("tracing on: domain.handle under the accepted context, sse.broadcast ended by a sweep") {
  RelayFixture fx;
  SpanRecorder spans;
  Tracer tracer(fx.clock, Sampler{}, &spans);
  fx.trace_with(tracer);
  RecordingSink a, b;
  fx.subscribe(a);
  fx.subscribe(b);
  const std::string accepted = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const auto id = fx.fold(created("w-1"), "e1", accepted);
  REQUIRE(spans.ended.size() == 1);    // the broadcast stays open until a sweep carried it
  const auto handle = spans.ended[0];  // a copy: later spans grow the vector
  CHECK(handle.name == "domain.handle CMLWorkerCreatedDomainEvent");
  CHECK(proto::to_hex(handle.context.trace_id) == "0af7651916cd43dd8448eb211c80319c");
  CHECK(proto::to_hex(handle.parent_span_id) == "b7ad6b7169203331");
  CHECK(std::get<std::string>(spans.attributes(0)["relay.outcome"]) == "broadcast");
  CHECK(std::get<std::string>(spans.attributes(0)["relay.event_id"]) == id.to_string());
  fx.io.run_for(std::chrono::milliseconds(20));
  REQUIRE(spans.ended.size() == 2);
  const auto& broadcast = spans.ended[1];
  CHECK(broadcast.name == "sse.broadcast worker.created");
  CHECK(broadcast.kind == proto::SpanKind::producer);
  CHECK(broadcast.parent_span_id == handle.context.span_id);
  auto attrs = spans.attributes(1);
  CHECK(std::get<std::string>(attrs["messaging.message.id"]) == id.to_string());
  CHECK(std::get<std::int64_t>(attrs["sse.subscribers"]) == 2);
  CHECK(std::get<std::int64_t>(attrs["sse.subscribers.woken"]) == 2);
  CHECK(std::get<std::int64_t>(attrs["sse.frames"]) == 2);
  CHECK(fx.relay->stats().broadcast_latency.count == 1);

  // Stop runs in an sse.shutdown span of its own.
  bool stopped = false;
  fx.spawn_stop(stopped);
  fx.io.run_for(std::chrono::milliseconds(50));
  REQUIRE(stopped);
  REQUIRE(spans.ended.size() == 3);
  CHECK(spans.ended[2].name == "sse.shutdown");
  CHECK(std::get<std::int64_t>(spans.attributes(2)["sse.subscribers"]) == 2);
  CHECK(std::get<bool>(spans.attributes(2)["sse.shutdown.drained"]));
}

TEST_CASE("tracing off: the producer's traceparent goes into the envelope unchanged") {
  RelayFixture fx;
  RecordingSink sink;
  fx.subscribe(sink);
  const std::string producer = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  fx.publish("demo.t", "{}", "", producer);
  fx.io.run_for(std::chrono::milliseconds(20));
  REQUIRE(sink.written.size() == 2);
  CHECK(sink.written[1].find("\"traceparent\":\"" + producer + "\"") != std::string::npos);
  CHECK(fx.relay->stats().broadcast_latency.count == 1);  // measured with tracing off too
}
