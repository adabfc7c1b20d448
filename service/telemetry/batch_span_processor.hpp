#pragma once
// The OpenTelemetry batch span processor: ended spans wait in a bounded queue and leave in
// batches, one export at a time, on the relay's own thread. on_end never waits: a full
// queue drops the span and counts it, so a slow or absent collector costs the relay
// nothing but those spans. On stop the queue is flushed within a deadline.
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proto/span_data.hpp"
#include "service/hosted_service.hpp"
#include "service/telemetry/logger.hpp"
#include "service/telemetry/tracer.hpp"

namespace relay::service {

/// The outcome of one export (after whatever retries the exporter makes).
struct ExportResult {
  bool delivered = false;
  std::string error;  ///< Why not, for the log: "connection refused", "HTTP 503", ...
  /// Delivered, but the collector's partial_success rejected this many (error says why).
  std::size_t rejected = 0;
};

/// Port: sends a batch to the collector, giving up at `deadline`.
class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  virtual boost::asio::awaitable<ExportResult> export_batch(
      const std::vector<proto::SpanData>& batch,
      std::chrono::steady_clock::time_point deadline) = 0;
  /// Ends an export in flight at once (it then reports failure); no-op when idle. Used when
  /// the flush at stop runs out of time, so a hanging collector cannot hold the stop.
  virtual void abort() = 0;
};

/// OTEL_BSP_* with the specification's defaults.
struct BatchConfig {
  std::size_t max_queue_size = 2048;                ///< OTEL_BSP_MAX_QUEUE_SIZE
  std::size_t max_export_batch_size = 512;          ///< OTEL_BSP_MAX_EXPORT_BATCH_SIZE
  std::chrono::milliseconds schedule_delay{5000};   ///< OTEL_BSP_SCHEDULE_DELAY
  std::chrono::milliseconds export_timeout{30000};  ///< OTEL_BSP_EXPORT_TIMEOUT
  std::chrono::milliseconds shutdown_flush{10000};  ///< Budget for the flush on stop.
};

struct SpanExportStats {
  std::uint64_t exported = 0;               ///< Spans the collector accepted.
  std::uint64_t dropped_queue_full = 0;     ///< Spans refused because the queue was full.
  std::uint64_t dropped_export_failed = 0;  ///< Spans of batches the collector never took.
  std::uint64_t dropped_rejected = 0;       ///< Spans a collector's partial success refused.
  std::uint64_t export_failures = 0;        ///< Batches that failed.
  std::size_t queued = 0;
};

class BatchSpanProcessor final : public SpanSink, public HostedService {
 public:
  BatchSpanProcessor(boost::asio::any_io_executor executor, BatchConfig config,
                     SpanExporter& exporter, Logger& logger);

  void on_end(proto::SpanData&& span) override;

  [[nodiscard]] std::string_view name() const override { return "span-processor"; }
  void start() override;
  /// Exports what is queued (in batches, until the shutdown_flush budget runs out; the rest
  /// is counted as dropped), then ends.
  boost::asio::awaitable<void> stop() override;

  [[nodiscard]] SpanExportStats stats() const;

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> export_one_batch(std::chrono::steady_clock::time_point deadline);

  boost::asio::any_io_executor executor_;
  BatchConfig config_;
  SpanExporter& exporter_;
  Logger& logger_;
  std::deque<proto::SpanData> queue_;
  SpanExportStats stats_;
  boost::asio::steady_timer wake_;      ///< The loop's sleep; cancelled for a full batch or stop.
  boost::asio::steady_timer finished_;  ///< Cancelled when the loop has ended.
  boost::asio::steady_timer give_up_timer_;  ///< Fires at the end of the flush budget.
  std::chrono::steady_clock::time_point flush_deadline_{};
  bool give_up_ = false;  ///< The flush budget is spent: drop what is left.
  bool sleeping_ = false;
  bool running_ = false;
  bool stopping_ = false;
  bool failing_ = false;    ///< The last export failed: log again only when it recovers.
  bool rejecting_ = false;  ///< The last export had rejected spans: likewise.
};

}  // namespace relay::service
