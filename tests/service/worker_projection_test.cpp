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
  fx.advance(std::chrono::milliseconds(20));
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
  fx.advance(std::chrono::milliseconds(20));
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
  fx.advance(std::chrono::milliseconds(50));
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
  fx.advance(std::chrono::milliseconds(20));
  REQUIRE(sink.written.size() == 2);
  CHECK(sink.written[1].find("\"traceparent\":\"" + producer + "\"") != std::string::npos);
  CHECK(fx.relay->stats().broadcast_latency.count == 1);  // measured with tracing off too
}

TEST_CASE("a snapshot restores the aggregates and the frame window; folding on gives the same "
          "frames as the replica that wrote it") {
  RelayFixture writer;
  writer.config.history = 100;
  writer.build();
  fold_script(writer);
  writer.fold(created("w-2"));
  const auto snapshot = writer.projection->snapshot();

  RelayFixture reader;
  reader.config.history = 100;
  reader.build();
  reader.fold(created("other"));  // forgotten by the rebuild
  REQUIRE(reader.projection->rebuild(snapshot, ""));
  CHECK(reader.projection->last_event_id() == writer.projection->last_event_id());
  CHECK(reader.projection->registry().find("other") == nullptr);
  REQUIRE(reader.projection->registry().workers().size() == 2);
  CHECK(reader.projection->registry().find("w-1")->status == domain::WorkerStatus::terminated);
  // The same window: a Last-Event-ID from the writer's stream resumes at the reader.
  const auto& wl = writer.relay->frame_log();
  const auto& rl = reader.relay->frame_log();
  REQUIRE(rl.size() == wl.size());
  for (std::size_t i = 0; i < wl.size(); ++i) {
    CHECK(rl.at(rl.begin_position() + i).id == wl.at(wl.begin_position() + i).id);
    CHECK(*rl.at(rl.begin_position() + i).frame == *wl.at(wl.begin_position() + i).frame);
  }
  // Both fold the next events alike (same ids: the reader continues the writer's log).
  reader.ids = writer.ids;
  for (auto* fx : {&writer, &reader}) {
    fx->fold(domain::WorkerStatusUpdated{"w-2", domain::WorkerStatus::running, 6000});
    fx->fold(telemetry("w-2", 6100));
  }
  CHECK(*rl.newest().frame == *wl.newest().frame);
  CHECK(*rl.at(rl.end_position() - 2).frame == *wl.at(wl.end_position() - 2).frame);
  CHECK(reader.projection->registry().find("w-2")->version ==
        writer.projection->registry().find("w-2")->version);
}

TEST_CASE("an unreadable snapshot leaves the projection empty, never half restored") {
  RelayFixture fx;
  fx.fold(created("w-1"));
  CHECK_FALSE(fx.projection->rebuild(R"({"v":1,"last_id":"5-0"})", ""));
  CHECK(fx.projection->registry().workers().empty());
  CHECK(fx.projection->last_event_id() == domain::EventId{0, 0});
  CHECK(fx.relay->frame_log().empty());
}

TEST_CASE("a rebuild after data loss tells every open stream to resync, then live events flow") {
  RelayFixture fx;
  fx.config.history = 100;
  fx.build();
  fx.fold(created("w-1"));
  RecordingSink parked;
  RecordingSink writing;
  fx.subscribe(parked);
  fx.subscribe(writing);
  fx.advance(std::chrono::milliseconds(20));
  writing.drains = false;
  fx.fold(created("w-2"));  // writing's batch with w-2 stays pending
  fx.advance(std::chrono::milliseconds(20));
  REQUIRE(writing.pending.find("worker.created") != std::string::npos);

  RelayFixture other;  // the state the bus still has: w-9 only
  other.fold(created("w-9"));
  REQUIRE(fx.projection->rebuild(other.projection->snapshot(), "bus_data_lost"));
  fx.advance(std::chrono::milliseconds(20));
  const auto resync_of = [](const std::vector<std::string>& written) {
    std::string all;
    for (const auto& w : written) all += w;
    return all;
  };
  auto seen = resync_of(parked.written);
  const auto notice = seen.find("event: system.sse.resync\ndata: {\"reason\":\"bus_data_lost\"");
  REQUIRE(notice != std::string::npos);
  // The restored frame (w-9) is the rebuilt log's history, not news: never sent after it.
  CHECK(seen.find("w-9", notice) == std::string::npos);
  writing.complete();  // the write in flight ends; the notice follows it
  fx.advance(std::chrono::milliseconds(20));
  CHECK(resync_of(writing.written).find("system.sse.resync") != std::string::npos);
  CHECK(fx.relay->stats().resyncs == 2);

  fx.ids = other.ids;
  fx.fold(created("w-10"));
  fx.advance(std::chrono::milliseconds(60));
  for (auto* sink : {&parked, &writing}) {
    const auto all = resync_of(sink->written);
    const auto after = all.find("system.sse.resync");
    CHECK(all.find("\"worker_id\":\"w-10\"", after) != std::string::npos);
    CHECK(all.find("\"worker_id\":\"w-9\"", after) == std::string::npos);
  }
}
