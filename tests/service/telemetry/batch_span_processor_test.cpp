#include "service/telemetry/batch_span_processor.hpp"

#include <cstdio>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

using namespace relay;
using namespace relay::service;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Records batches; answers `deliver`, or hangs until aborted or its deadline when `hang`.
struct FakeExporter final : SpanExporter {
  explicit FakeExporter(asio::io_context& io) : io(io), gate(io) {}
  asio::awaitable<ExportResult> export_batch(
      const std::vector<proto::SpanData>& batch,
      std::chrono::steady_clock::time_point deadline) override {
    sizes.push_back(batch.size());
    if (hang) {
      gate.expires_at(deadline);
      auto [ec] = co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return ExportResult{false, ec ? "aborted" : "timed out"};
    }
    co_return ExportResult{deliver, deliver ? "" : "HTTP 503", deliver ? rejected : 0};
  }
  void abort() override {
    ++aborts;
    gate.cancel();
  }
  asio::io_context& io;
  asio::steady_timer gate;
  std::vector<std::size_t> sizes;
  bool deliver = true;
  bool hang = false;
  std::size_t rejected = 0;
  int aborts = 0;
};

proto::SpanData span(int i) {
  proto::SpanData s;
  s.name = "s" + std::to_string(i);
  return s;
}

struct ProcessorFixture {
  asio::io_context io{1};
  std::FILE* sink = std::fopen("/dev/null", "w");
  Logger logger{sink, LogLevel::error};
  FakeExporter exporter{io};
  BatchConfig config = [] {
    BatchConfig c;
    c.max_queue_size = 8;
    c.max_export_batch_size = 3;
    c.schedule_delay = 10s;  // long: a test that relies on it would hang
    c.export_timeout = 1s;
    c.shutdown_flush = 300ms;
    return c;
  }();
  std::unique_ptr<BatchSpanProcessor> processor;
  void make() {
    processor = std::make_unique<BatchSpanProcessor>(io.get_executor(), config, exporter, logger);
    processor->start();
  }
  void stop_and_run() {
    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await processor->stop();
          done = true;
        },
        asio::detached);
    io.run_for(5s);
    REQUIRE(done);
  }
  ~ProcessorFixture() {
    processor.reset();
    std::fclose(sink);
  }
};

}  // namespace

TEST_CASE("a full batch leaves at once, without waiting for the schedule delay") {
  ProcessorFixture fx;
  fx.make();
  fx.io.poll();
  for (int i = 0; i < 3; ++i) fx.processor->on_end(span(i));
  fx.io.run_for(200ms);
  REQUIRE(fx.exporter.sizes == std::vector<std::size_t>{3});
  CHECK(fx.processor->stats().exported == 3);
  CHECK(fx.processor->stats().queued == 0);
  fx.stop_and_run();
}

TEST_CASE("the schedule delay sends a partial batch") {
  ProcessorFixture fx;
  fx.config.schedule_delay = 20ms;
  fx.make();
  fx.processor->on_end(span(1));
  fx.io.run_for(300ms);
  CHECK(fx.exporter.sizes == std::vector<std::size_t>{1});
  fx.stop_and_run();
}

TEST_CASE("a full queue drops new spans and counts them; on_end never waits") {
  ProcessorFixture fx;
  fx.exporter.hang = true;
  fx.config.max_export_batch_size = 8;
  fx.make();
  for (int i = 0; i < 8; ++i) fx.processor->on_end(span(i));
  fx.io.run_for(50ms);  // the 8 are taken into an export that hangs
  for (int i = 0; i < 13; ++i) fx.processor->on_end(span(i));  // 8 fit the queue again
  CHECK(fx.processor->stats().queued == 8);
  CHECK(fx.processor->stats().dropped_queue_full == 5);
  fx.stop_and_run();
}

TEST_CASE("a failed export drops its batch and counts it") {
  ProcessorFixture fx;
  fx.exporter.deliver = false;
  fx.make();
  for (int i = 0; i < 6; ++i) fx.processor->on_end(span(i));
  fx.io.run_for(200ms);
  const auto s = fx.processor->stats();
  CHECK(s.dropped_export_failed == 6);
  CHECK(s.export_failures == 2);
  CHECK(s.exported == 0);
  fx.exporter.deliver = true;  // the collector is back: later spans go through
  for (int i = 0; i < 3; ++i) fx.processor->on_end(span(i));
  fx.io.run_for(200ms);
  CHECK(fx.processor->stats().exported == 3);
  fx.stop_and_run();
}

TEST_CASE("stop flushes what is queued, in batches no larger than the limit") {
  ProcessorFixture fx;
  fx.make();
  fx.io.poll();
  fx.config.max_export_batch_size = 3;
  fx.processor->on_end(span(1));
  fx.processor->on_end(span(2));
  fx.io.poll();
  CHECK(fx.exporter.sizes.empty());  // under a batch: waits for the (long) delay
  for (int i = 0; i < 5; ++i) fx.processor->on_end(span(i));
  fx.stop_and_run();
  std::size_t total = 0;
  for (auto n : fx.exporter.sizes) {
    CHECK(n <= 3);
    total += n;
  }
  CHECK(total == 7);
  CHECK(fx.processor->stats().exported == 7);
  fx.processor->on_end(span(9));  // after stop: dropped and counted, not kept forever
  CHECK(fx.processor->stats().dropped_queue_full == 1);
}

TEST_CASE("a hanging collector cannot hold the stop beyond the flush budget") {
  ProcessorFixture fx;
  fx.exporter.hang = true;
  fx.config.export_timeout = 60s;
  fx.make();
  for (int i = 0; i < 5; ++i) fx.processor->on_end(span(i));
  fx.io.run_for(50ms);  // the first batch of 3 hangs
  const auto started = std::chrono::steady_clock::now();
  fx.stop_and_run();
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  CHECK(fx.exporter.aborts == 1);
  CHECK(fx.processor->stats().dropped_export_failed == 5);
}

TEST_CASE("spans a collector rejects in a partial success count as dropped, not exported") {
  ProcessorFixture fx;
  fx.exporter.rejected = 2;
  fx.make();
  for (int i = 0; i < 3; ++i) fx.processor->on_end(span(i));
  fx.io.run_for(200ms);
  const auto s = fx.processor->stats();
  CHECK(s.exported == 1);
  CHECK(s.dropped_rejected == 2);
  CHECK(s.export_failures == 0);
  fx.stop_and_run();
}
