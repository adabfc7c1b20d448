#pragma once
// The broadcast side of the relay on a test's own io_context: SseEventRelay (frame log,
// fan-out) fed by the real WorkerProjection, as the log would feed it, and sinks that stand
// in for SseStream. Ids are minted here, as the event log would.
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include "manual_fanout_timers.hpp"
#include "service/sse_event_relay.hpp"
#include "service/worker_projection.hpp"

namespace relay::test {

struct FixedClock final : service::Clock {
  std::uint64_t ms = 1'800'000'000'000;
  [[nodiscard]] std::uint64_t now_unix_ms() const override { return ms; }
};

/// Keeps every span that ended, with its attributes by key.
struct SpanRecorder final : service::SpanSink {
  std::vector<proto::SpanData> ended;
  void on_end(proto::SpanData&& span) override { ended.push_back(std::move(span)); }
  [[nodiscard]] std::map<std::string, proto::AttributeValue> attributes(std::size_t i) const {
    std::map<std::string, proto::AttributeValue> out;
    for (const auto& a : ended.at(i).attributes) out[a.key] = a.value;
    return out;
  }
};

/// Everything a sink was handed, concatenated.
inline std::string text_of(const service::OutgoingBatch& b) {
  std::string out;
  for (const auto& f : b.frames) out += *f;
  return out;
}

/// Stands in for SseStream. Draining: every write completes at once and is recorded.
/// Not draining: a write stays pending (frames held) until complete() is called.
struct RecordingSink final : service::SubscriberSink {
  service::Fanout* fanout = nullptr;
  service::Subscription* sub = nullptr;
  bool drains = true;
  bool closed = false;
  bool graceful = false;
  int writes = 0;
  std::vector<std::string> written;
  std::string pending;

  WriteStatus write(service::OutgoingBatch& batch) override {
    ++writes;
    if (!drains) {
      pending = text_of(batch);
      return WriteStatus::pending;
    }
    written.push_back(text_of(batch));
    return WriteStatus::complete;
  }
  void close(bool g) override {
    closed = true;
    graceful = g;
    sub = nullptr;
  }
  /// The pending write completes; the sink drains from now on.
  void complete() {
    drains = true;
    written.push_back(std::exchange(pending, {}));
    if (sub != nullptr) fanout->write_done(*sub);
  }
  /// The peer went away.
  void leave() {
    if (auto* s = std::exchange(sub, nullptr)) fanout->leave(*s);
  }
};

struct RelayFixture {
  boost::asio::io_context io{1};
  /// poll() must not find the context stopped for want of work: with time passed in by
  /// hand, no fan-out timer keeps work outstanding between the test's steps.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_polling =
      boost::asio::make_work_guard(io);
  FixedClock clock;
  std::FILE* log_sink = std::fopen("/dev/null", "w");
  service::Logger logger{log_sink, service::LogLevel::error};
  service::Tracer tracing_off{clock, service::Sampler{}, nullptr};
  service::Tracer* tracer = &tracing_off;
  service::RelayConfig config = [] {
    service::RelayConfig c;
    c.history = 8;
    c.max_clients = 3;
    c.max_pending_bytes = 1000;
    c.heartbeat = std::chrono::milliseconds(50);
    c.reconnect_jitter = std::chrono::milliseconds(100);
    c.instance_id = "test";
    return c;
  }();
  domain::RegistryLimits read_model;
  /// The fan-out's time: nothing is swept or ticked until the test advances it.
  ManualFanoutTimers timers{io.get_executor()};
  std::unique_ptr<service::SseEventRelay> relay;
  std::unique_ptr<service::WorkerProjection> projection;
  domain::EventIdGenerator ids;

  RelayFixture() { build(); }
  ~RelayFixture() {
    projection.reset();
    relay.reset();
    std::fclose(log_sink);
  }
  void build() {
    projection.reset();
    relay.reset();  // the old fan-out lets go of the timers before the new one takes them
    relay = std::make_unique<service::SseEventRelay>(io.get_executor(), config, clock, logger,
                                                     *tracer, &timers);
    projection = std::make_unique<service::WorkerProjection>(relay->frame_log(), relay->fanout(),
                                                             relay->stats(), *tracer, logger,
                                                             clock, read_model);
  }
  /// A fresh relay with some settings changed from the fixture's.
  template <class Change>
  void reconfigure(Change change) {
    change(config);
    build();
  }
  void trace_with(service::Tracer& t) {
    tracer = &t;
    build();
  }

  /// A subscription (a filter from `types`, `workers`) joined to `sink`.
  void subscribe(RecordingSink& sink, std::optional<std::string> last = std::nullopt,
                 std::vector<std::string> types = {}, std::vector<std::string> workers = {},
                 std::string subject = {}) {
    auto r = relay->subscribe(
        {std::get<service::SubscriptionFilter>(service::SubscriptionFilter::parse(types, workers)),
         std::move(last), std::nullopt, "192.0.2.7", std::move(subject)});
    REQUIRE(std::holds_alternative<std::unique_ptr<service::Subscription>>(r));
    auto sub = std::move(std::get<std::unique_ptr<service::Subscription>>(r));
    sink.fanout = &relay->fanout();
    sink.sub = sub.get();
    relay->fanout().join(std::move(sub), sink);
  }

  /// Folds one stored generic event, as the log would deliver it.
  domain::EventId publish(std::string type, std::string data = "{}", std::string key = "",
                          std::string traceparent = "", std::string tracestate = "") {
    const auto id = ids.next(clock.ms);
    projection->on_event({id,
                          {proto::PublishRequest{std::move(type), std::move(data), std::move(key)},
                           "", std::move(traceparent), std::move(tracestate)}});
    return id;
  }

  /// Folds one stored domain event.
  domain::EventId fold(domain::DomainEvent event, std::string event_id = "e",
                       std::string traceparent = "") {
    const auto id = ids.next(clock.ms);
    projection->on_event({id,
                          {proto::IngestItem{"test", std::move(event_id), "", std::move(event)}, "",
                           std::move(traceparent), ""}});
    return id;
  }

  /// Runs relay->stop() on the io_context; `stopped` turns true when it completes.
  /// Time passes for the fan-out (sweeps, slices, ticks and the drain grace due within
  /// `by` run in order), then whatever that let the io_context do.
  void advance(std::chrono::milliseconds by) {
    io.poll();  // a stop spawned just before starts its drain wait first
    timers.advance(by);
    io.poll();
  }

  void spawn_stop(bool& stopped) {
    boost::asio::co_spawn(
        io,
        [this, &stopped]() -> boost::asio::awaitable<void> {
          co_await relay->stop();
          stopped = true;
        },
        boost::asio::detached);
  }
};

}  // namespace relay::test
