#include "service/sse_event_relay.hpp"

#include "proto/traceparent.hpp"

#include <cstdio>
#include <map>

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace relay;
using namespace relay::service;
namespace asio = boost::asio;

namespace {

struct FixedClock final : Clock {
  std::uint64_t ms = 1'800'000'000'000;
  [[nodiscard]] std::uint64_t now_unix_ms() const override { return ms; }
};

struct Fixture {
  asio::io_context io{1};
  FixedClock clock;
  std::FILE* sink = std::fopen("/dev/null", "w");
  Logger logger{sink, LogLevel::error};
  Tracer tracing_off{clock, Sampler{}, nullptr};
  Tracer* tracer = &tracing_off;
  RelayConfig config = [] {
    RelayConfig c;
    c.history = 8;
    c.max_clients = 3;
    c.max_pending_bytes = 1000;
    c.heartbeat = std::chrono::milliseconds(50);
    c.reconnect_jitter = std::chrono::milliseconds(100);
    return c;
  }();
  std::unique_ptr<SseEventRelay> relay;
  Fixture() {
    relay = std::make_unique<SseEventRelay>(io.get_executor(), config, clock, logger, *tracer);
  }
  /// A fresh relay with some settings changed from the fixture's.
  template <class Change>
  void reconfigure(Change change) {
    relay.reset();
    change(config);
    relay = std::make_unique<SseEventRelay>(io.get_executor(), config, clock, logger, *tracer);
  }
  /// A fresh relay whose spans go to `t`.
  void trace_with(Tracer& t) {
    tracer = &t;
    reconfigure([](RelayConfig&) {});
  }
  ~Fixture() { std::fclose(sink); }

  std::unique_ptr<Subscription> subscribe(std::optional<std::string> last = std::nullopt) {
    auto r =
        relay->subscribe({std::get<SubscriptionFilter>(SubscriptionFilter::parse({}, {})), last});
    REQUIRE(std::holds_alternative<std::unique_ptr<Subscription>>(r));
    return std::move(std::get<std::unique_ptr<Subscription>>(r));
  }
  domain::EventId publish(std::string type, std::string data = "{}", std::string key = "") {
    auto r = relay->publish({std::move(type), std::move(data), std::move(key), "", "", "", ""});
    REQUIRE(std::holds_alternative<domain::EventId>(r));
    return std::get<domain::EventId>(r);
  }
};

// Runs relay->stop() on the fixture's io_context; `stopped` turns true when it completes.
void spawn_stop(Fixture& fx, bool& stopped) {
  asio::co_spawn(
      fx.io,
      [&]() -> asio::awaitable<void> {
        co_await fx.relay->stop();
        stopped = true;
      },
      asio::detached);
}

std::string text_of(const OutgoingBatch& b) {
  std::string out;
  for (const auto& f : b.frames) out += *f;
  return out;
}

// Stands in for infra's SseStream: records wakes and closes; when `writes` is set it writes
// what it is woken for at once (a socket that always drains), else it leaves it pending.
struct RecordingSink final : SubscriberSink {
  explicit RecordingSink(Subscription& s, bool drains = true) : sub(s), writes(drains) {
    sub.attach(*this);
  }
  Subscription& sub;
  bool writes;
  int wakes = 0;
  bool closed = false;
  std::vector<std::string> written;

  void wake() override {
    ++wakes;
    if (!writes) return;
    for (;;) {
      auto b = sub.next_batch();
      if (b.empty()) {
        sub.park();
        return;
      }
      written.push_back(text_of(b));
      if (!sub.batch_written(b)) return;  // parked until the next sweep
    }
  }
  void close_now() override { closed = true; }
};

}  // namespace

TEST_CASE("a new subscriber first gets retry and connected, then published frames") {
  Fixture fx;
  auto sub = fx.subscribe();
  auto first = fx.relay->subscriber_count();
  CHECK(first == 1);
  auto preamble = sub->next_batch();
  CHECK(text_of(preamble).starts_with("retry: 3000\n\nevent: connected\ndata: {\"client_id\":\""));
  CHECK(preamble.event_frames == 0);
  sub->batch_written(preamble);

  auto id = fx.publish("demo.a", R"({"x":1})");
  auto batch = sub->next_batch();
  CHECK(batch.event_frames == 1);
  CHECK(text_of(batch) == "id: " + id.to_string() + "\nevent: demo.a\ndata: {\"id\":\"" +
                              id.to_string() +
                              "\",\"type\":\"demo.a\",\"time\":\"2027-01-15T08:00:00.000Z\","
                              "\"subject\":null,\"traceparent\":null,\"data\":{\"x\":1}}\n\n");
  sub->batch_written(batch);
  CHECK(fx.relay->stats().deliveries == 1);
  CHECK(sub->next_batch().empty());
}

TEST_CASE("a broadcast sweep wakes idle subscribers; quiet ones get a heartbeat") {
  Fixture fx;
  auto sub = fx.subscribe();
  RecordingSink sink(*sub);
  sink.wake();  // the stream's first write: the preamble
  REQUIRE(sink.written.size() == 1);
  fx.io.poll();
  CHECK(sink.written.size() == 1);  // idle: nothing to write yet
  fx.publish("demo.a");
  CHECK(sink.written.size() == 1);  // publish only asks for a sweep
  fx.io.run_for(std::chrono::milliseconds(20));
  REQUIRE(sink.written.size() == 2);
  CHECK(sink.written[1].find("event: demo.a") != std::string::npos);
  fx.io.run_for(std::chrono::milliseconds(200));  // silence: heartbeat after 50 ms
  REQUIRE(sink.written.size() >= 3);
  CHECK(sink.written[2].starts_with("event: heartbeat\ndata: {\"time\":"));
}

TEST_CASE(
    "under load, events published within the flush interval reach a subscriber in one write") {
  Fixture fx;
  fx.reconfigure([](RelayConfig& c) { c.flush_interval = std::chrono::milliseconds(30); });
  auto sub = fx.subscribe();
  RecordingSink sink(*sub);
  sink.wake();
  fx.publish("first");
  fx.publish("burst");
  fx.io.run_for(std::chrono::milliseconds(5));  // after a quiet spell: at once
  REQUIRE(sink.written.size() == 2);
  fx.publish("second");
  fx.publish("third");
  fx.io.run_for(std::chrono::milliseconds(5));
  // The last pass carried two entries: load. Held until flush_interval after it.
  CHECK(sink.written.size() == 2);
  fx.io.run_for(std::chrono::milliseconds(60));
  REQUIRE(sink.written.size() == 3);
  CHECK(sink.written[2].find("event: second") < sink.written[2].find("event: third"));
  CHECK(sink.written[2].find("event: third") != std::string::npos);
  CHECK(fx.relay->stats().deliveries == 4);
}

TEST_CASE("one event at a time (a closed loop) is never held back by the flush interval") {
  Fixture fx;
  fx.reconfigure([](RelayConfig& c) { c.flush_interval = std::chrono::milliseconds(1000); });
  auto sub = fx.subscribe();
  RecordingSink sink(*sub);
  sink.wake();
  for (int i = 1; i <= 3; ++i) {
    fx.publish("step");
    fx.io.run_for(std::chrono::milliseconds(5));
    CHECK(sink.written.size() == static_cast<std::size_t>(1 + i));
  }
}

TEST_CASE("a woken sink that parks again is woken by the next sweep, not twice by one") {
  Fixture fx;
  auto a = fx.subscribe();
  auto b = fx.subscribe();
  RecordingSink sa(*a);
  RecordingSink sb(*b);
  sa.wake();
  sb.wake();
  fx.publish("t");
  fx.io.run_for(std::chrono::milliseconds(20));
  CHECK(sa.wakes == 2);
  CHECK(sb.wakes == 2);
  CHECK(sa.written.size() == 2);
  CHECK(sb.written.size() == 2);
}

TEST_CASE("reconnecting with a retained id replays exactly the missed events") {
  Fixture fx;
  auto a = fx.publish("t");
  auto b = fx.publish("t");
  auto c = fx.publish("t");
  auto sub = fx.subscribe(a.to_string());
  auto replay = sub->next_batch();  // preamble and the replay go out in one write
  CHECK(replay.event_frames == 2);
  CHECK(text_of(replay).starts_with("retry: "));
  CHECK(text_of(replay).find("id: " + b.to_string()) <
        text_of(replay).find("id: " + c.to_string()));
  CHECK(text_of(replay).find("id: " + a.to_string()) == std::string::npos);
}

TEST_CASE("a too old id gets system.sse.resync with the oldest retained id") {
  Fixture fx;
  auto first = fx.publish("t");
  for (int i = 0; i < 10; ++i) fx.publish("t");
  auto sub = fx.subscribe(first.to_string());
  auto preamble = text_of(sub->next_batch());
  CHECK(preamble.find("event: system.sse.resync\ndata: {\"reason\":\"too_old\",\"oldest_id\":\"" +
                      fx.relay->log().oldest().id.to_string() + "\"}") != std::string::npos);
  CHECK(fx.relay->stats().resyncs == 1);
}

TEST_CASE("a subscriber whose write does not drain is evicted without slowing publish") {
  Fixture fx;
  auto slow = fx.subscribe();
  RecordingSink sink(*slow, /*drains=*/false);
  auto batch = slow->next_batch();  // preamble in flight, never acknowledged
  CHECK_FALSE(batch.empty());
  for (int i = 0; i < 5; ++i) fx.publish("t", std::string(200, '1'));
  CHECK_FALSE(sink.closed);  // publish never looks at subscribers; the sweep does
  fx.io.run_for(std::chrono::milliseconds(20));
  CHECK(sink.closed);
  CHECK(slow->eviction() == EvictionReason::slow_consumer);
  CHECK(fx.relay->stats().evictions_for(EvictionReason::slow_consumer) == 1);
  CHECK(slow->next_batch().empty());
}

TEST_CASE("a subscriber that falls out of the retained log is evicted as lagging") {
  Fixture fx;  // frames of ~150 bytes: 9 of them stay under the 1000-byte budget
  auto sub = fx.subscribe();
  sub->batch_written(sub->next_batch());
  for (int i = 0; i < 9; ++i) fx.publish("t");  // history 8: the first one is trimmed
  CHECK(sub->next_batch().empty());
  CHECK(sub->eviction() == EvictionReason::lagging);
}

TEST_CASE("conflatable frames collapse for a behind subscriber") {
  Fixture fx;
  auto sub = fx.subscribe();
  auto in_flight = sub->next_batch();
  fx.publish("m", "0", "w1");
  fx.io.run_for(std::chrono::milliseconds(20));  // a pass finds the write still in flight
  sub->batch_written(in_flight);
  fx.publish("m", "1", "w1");
  fx.publish("life", "2");
  fx.publish("m", "3", "w1");
  fx.publish("other", "4", "w1");  // same key, other type: not superseded
  auto b = sub->next_batch();
  CHECK(b.event_frames == 3);
  CHECK(text_of(b).find("\"data\":0}") == std::string::npos);
  CHECK(text_of(b).find("\"data\":1}") == std::string::npos);
  CHECK(fx.relay->stats().conflated == 2);
}

TEST_CASE("a subscriber that keeps up gets every conflatable frame, even several in one write") {
  Fixture fx;
  auto sub = fx.subscribe();
  sub->batch_written(sub->next_batch());  // parked, never behind
  fx.publish("m", "1", "w1");
  fx.publish("m", "2", "w1");
  fx.publish("m", "3", "w1");
  auto b = sub->next_batch();
  CHECK(b.event_frames == 3);
  CHECK(fx.relay->stats().conflated == 0);
}

TEST_CASE("max clients and draining are refused with 503") {
  Fixture fx;
  auto a = fx.subscribe();
  auto b = fx.subscribe();
  auto c = fx.subscribe();
  auto r = fx.relay->subscribe({{}, std::nullopt});
  REQUIRE(std::holds_alternative<Rejection>(r));
  CHECK(std::get<Rejection>(r).reason == "too_many_subscribers");
  b.reset();
  CHECK(fx.relay->subscriber_count() == 2);
}

TEST_CASE("stop flushes pending frames, then sends a jittered shutdown, then completes") {
  Fixture fx;
  auto sub = fx.subscribe();
  sub->batch_written(sub->next_batch());
  fx.publish("t");
  bool stopped = false;
  spawn_stop(fx, stopped);
  fx.io.poll();
  CHECK_FALSE(stopped);
  CHECK(std::holds_alternative<Rejection>(fx.relay->publish({"t", "{}", "", "", "", "", ""})));
  auto pending = sub->next_batch();
  CHECK(pending.event_frames == 1);
  CHECK_FALSE(pending.closes_stream);
  sub->batch_written(pending);
  auto last = sub->next_batch();
  CHECK(last.closes_stream);
  const auto text = text_of(last);
  CHECK(text.find("event: system.sse.shutdown\ndata: {\"reason\":\"shutdown\",\"reconnect_ms\":") !=
        std::string::npos);
  const auto ms = std::stoi(text.substr(text.find("retry: ") + 7));
  CHECK(ms >= 3000);
  CHECK(ms <= 3100);
  sub->batch_written(last);
  CHECK(sub->next_batch().empty());
  sub.reset();
  fx.io.run_for(std::chrono::milliseconds(50));
  CHECK(stopped);
}

TEST_CASE("stop closes subscribers still writing when the grace runs out") {
  Fixture fx;
  fx.reconfigure([](RelayConfig& c) { c.shutdown_grace = std::chrono::milliseconds(30); });
  auto stuck = fx.subscribe();
  RecordingSink sink(*stuck, /*drains=*/false);
  (void)stuck->next_batch();  // a write that never completes
  bool stopped = false;
  spawn_stop(fx, stopped);
  fx.io.run_for(std::chrono::milliseconds(100));
  CHECK(sink.closed);
  CHECK(stuck->eviction() == EvictionReason::shutdown_timeout);
  stuck.reset();
  fx.io.run_for(std::chrono::milliseconds(50));
  CHECK(stopped);
}

TEST_CASE("a quiet subscriber outlives a run of silent events longer than the log") {
  Fixture fx;  // history 8
  auto sub = fx.subscribe();
  RecordingSink sink(*sub);
  sink.wake();
  for (int i = 0; i < 20; ++i) {
    REQUIRE(std::holds_alternative<domain::EventId>(fx.relay->record_silent()));
    fx.io.run_for(std::chrono::milliseconds(1));
  }
  fx.publish("after.silence");
  fx.io.run_for(std::chrono::milliseconds(20));
  CHECK_FALSE(sub->eviction());
  CHECK_FALSE(sink.closed);
  REQUIRE(sink.written.size() == 2);  // the preamble, then only the real event
  CHECK(sink.written[1].find("event: after.silence") != std::string::npos);
}

TEST_CASE("a subscriber still writing when a sweep passes is woken by a later one") {
  Fixture fx;
  auto sub = fx.subscribe();
  RecordingSink sink(*sub, /*drains=*/false);
  auto in_flight = sub->next_batch();  // the preamble, not yet written
  fx.publish("during.write");
  fx.io.run_for(std::chrono::milliseconds(20));  // the sweep finds it writing and moves on
  CHECK(sink.wakes == 0);
  sink.writes = true;
  CHECK_FALSE(sub->batch_written(in_flight));  // parks, and asks for another sweep
  fx.io.run_for(std::chrono::milliseconds(20));
  REQUIRE(sink.written.size() == 1);
  CHECK(sink.written[0].find("event: during.write") != std::string::npos);
}

TEST_CASE("subscribers leaving in the middle of a sweep make it skip no one else") {
  Fixture fx;
  fx.reconfigure([](RelayConfig& c) {
    c.max_clients = 1000;
    c.heartbeat = std::chrono::seconds(60);  // no heartbeat tick due while stepping
  });
  std::vector<std::unique_ptr<Subscription>> subs;
  std::vector<std::unique_ptr<RecordingSink>> sinks;
  for (int i = 0; i < 600; ++i) {  // more than two slices of 256
    subs.push_back(fx.subscribe());
    sinks.push_back(std::make_unique<RecordingSink>(*subs.back()));
    sinks.back()->wake();  // preamble written, parked
  }
  fx.publish("fanout");
  REQUIRE(fx.io.run_one() == 1);  // the sweep starts: the first slice only
  CHECK(sinks[0]->written.size() == 2);
  CHECK(sinks[599]->written.size() == 1);
  for (int gone : {3, 300, 598}) {  // before and after the sweep's position
    sinks[gone].reset();
    subs[gone].reset();
  }
  CHECK(fx.relay->subscriber_count() == 597);
  fx.io.run_for(std::chrono::milliseconds(50));
  for (std::size_t i = 0; i < sinks.size(); ++i) {
    if (!sinks[i]) continue;
    CAPTURE(i);
    CHECK(sinks[i]->written.size() == 2);
  }
}

TEST_CASE("subscribers that keep up share one buffer per range; filtered ones get their own plan") {
  Fixture fx;
  auto a = fx.subscribe();
  auto b = fx.subscribe();
  auto only_x = [&] {
    auto r = fx.relay->subscribe(
        {std::get<SubscriptionFilter>(SubscriptionFilter::parse({"x"}, {})), std::nullopt});
    return std::move(std::get<std::unique_ptr<Subscription>>(r));
  }();
  for (auto* s : {a.get(), b.get(), only_x.get()}) s->batch_written(s->next_batch());
  const auto id1 = fx.publish("x", "1");
  REQUIRE(std::holds_alternative<domain::EventId>(fx.relay->record_silent()));
  const auto id2 = fx.publish("y", "2");
  auto ba = a->next_batch();
  auto bb = b->next_batch();
  REQUIRE(ba.frames.size() == 1);                   // one buffer for both events
  CHECK(ba.frames[0].get() == bb.frames[0].get());  // built once, shared
  CHECK(ba.event_frames == 2);
  CHECK(text_of(ba).find("id: " + id1.to_string()) < text_of(ba).find("id: " + id2.to_string()));
  CHECK(ba.bytes == text_of(ba).size());
  auto bx = only_x->next_batch();
  CHECK(bx.event_frames == 1);
  CHECK(text_of(bx).find("event: y") == std::string::npos);
  for (auto* batch : {&ba, &bb}) CHECK(text_of(*batch).find("event: y") != std::string::npos);
  a->batch_written(ba);
  b->batch_written(bb);
  only_x->batch_written(bx);
  CHECK(fx.relay->stats().deliveries == 5);
}

namespace {
struct SpanRecorder final : SpanSink {
  std::vector<proto::SpanData> ended;
  void on_end(proto::SpanData&& span) override { ended.push_back(std::move(span)); }
  [[nodiscard]] std::map<std::string, proto::AttributeValue> attributes(std::size_t i) const {
    std::map<std::string, proto::AttributeValue> out;
    for (const auto& a : ended.at(i).attributes) out[a.key] = a.value;
    return out;
  }
};
}  // namespace

TEST_CASE("tracing on: a broadcast span under the notification's context, ended by its sweep") {
  Fixture fx;
  SpanRecorder spans;
  Tracer tracer(fx.clock, Sampler{}, &spans);
  fx.trace_with(tracer);
  auto a = fx.subscribe();
  auto b = fx.subscribe();
  RecordingSink sa(*a);
  RecordingSink sb(*b);
  sa.wake();
  sb.wake();
  const std::string handle = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto r = fx.relay->publish({"worker.created", "{}", "", "worker/w-1", "w-1", handle, "k=v"});
  const auto id = std::get<domain::EventId>(r);
  CHECK(spans.ended.empty());  // open until a sweep has carried the event
  fx.io.run_for(std::chrono::milliseconds(20));
  REQUIRE(spans.ended.size() == 1);
  const auto& span = spans.ended[0];
  CHECK(span.name == "sse.broadcast worker.created");
  CHECK(span.kind == proto::SpanKind::producer);
  CHECK(proto::to_hex(span.context.trace_id) == "0af7651916cd43dd8448eb211c80319c");
  CHECK(proto::to_hex(span.parent_span_id) == "b7ad6b7169203331");
  CHECK(span.trace_state == "k=v");
  auto attrs = spans.attributes(0);
  CHECK(std::get<std::string>(attrs["messaging.message.id"]) == id.to_string());
  CHECK(std::get<std::int64_t>(attrs["sse.subscribers"]) == 2);
  CHECK(std::get<std::int64_t>(attrs["sse.subscribers.woken"]) == 2);
  CHECK(std::get<std::int64_t>(attrs["sse.frames"]) == 2);
  CHECK(std::get<std::int64_t>(attrs["sse.bytes"]) > 100);
  CHECK(std::get<std::int64_t>(attrs["sse.evicted"]) == 0);
  // Both subscribers got the broadcast span's own context in the envelope.
  const auto traceparent = "\"traceparent\":\"" + proto::format_traceparent(span.context) + "\"";
  CHECK(sa.written.at(1).find(traceparent) != std::string::npos);
  CHECK(sb.written.at(1).find(traceparent) != std::string::npos);
  CHECK(fx.relay->stats().broadcast_latency.count == 1);

  // Stop runs in an sse.shutdown span of its own.
  bool stopped = false;
  spawn_stop(fx, stopped);
  fx.io.run_for(std::chrono::milliseconds(50));
  a.reset();
  b.reset();
  fx.io.run_for(std::chrono::milliseconds(50));
  REQUIRE(stopped);
  REQUIRE(spans.ended.size() == 2);
  CHECK(spans.ended[1].name == "sse.shutdown");
  CHECK(std::get<std::int64_t>(spans.attributes(1)["sse.subscribers"]) == 2);
  CHECK(std::get<bool>(spans.attributes(1)["sse.shutdown.drained"]));
}

TEST_CASE("tracing off: the notification's traceparent goes into the envelope unchanged") {
  Fixture fx;
  auto sub = fx.subscribe();
  RecordingSink sink(*sub);
  sink.wake();
  const std::string producer = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  fx.relay->publish({"demo.t", "{}", "", "", "", producer, ""});
  fx.io.run_for(std::chrono::milliseconds(20));
  REQUIRE(sink.written.size() == 2);
  CHECK(sink.written[1].find("\"traceparent\":\"" + producer + "\"") != std::string::npos);
  CHECK(fx.relay->stats().broadcast_latency.count == 1);  // measured with tracing off too
}
