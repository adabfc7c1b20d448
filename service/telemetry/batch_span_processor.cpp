#include "service/telemetry/batch_span_processor.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relay::service {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

BatchSpanProcessor::BatchSpanProcessor(asio::any_io_executor executor, BatchConfig config,
                                       SpanExporter& exporter, Logger& logger)
    : executor_(std::move(executor)),
      config_(config),
      exporter_(exporter),
      logger_(logger),
      wake_(executor_),
      finished_(executor_, asio::steady_timer::time_point::max()),
      give_up_timer_(executor_) {
  config_.max_queue_size = std::max<std::size_t>(config_.max_queue_size, 1);
  config_.max_export_batch_size =
      std::clamp<std::size_t>(config_.max_export_batch_size, 1, config_.max_queue_size);
}

void BatchSpanProcessor::on_end(proto::SpanData&& span) {
  if (queue_.size() >= config_.max_queue_size || (stopping_ && !running_)) {
    ++stats_.dropped_queue_full;
    return;
  }
  queue_.push_back(std::move(span));
  // A full batch goes now rather than at the end of the schedule delay.
  if (sleeping_ && queue_.size() >= config_.max_export_batch_size) wake_.cancel();
}

void BatchSpanProcessor::start() {
  running_ = true;
  asio::co_spawn(executor_, run(), [this](const std::exception_ptr& e) {
    log_failure(logger_, "span processor", e);
    running_ = false;
    finished_.cancel();
  });
}

asio::awaitable<void> BatchSpanProcessor::run() {
  while (!stopping_) {
    if (queue_.size() < config_.max_export_batch_size) {
      wake_.expires_after(config_.schedule_delay);
      sleeping_ = true;
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      sleeping_ = false;
      if (stopping_) break;
    }
    if (!queue_.empty()) co_await export_one_batch(steady::now() + config_.export_timeout);
  }
  // Flush: whatever is queued, batch by batch, within one budget for all of it.
  while (!queue_.empty() && !give_up_ && steady::now() < flush_deadline_) {
    co_await export_one_batch(std::min(flush_deadline_, steady::now() + config_.export_timeout));
  }
  if (!queue_.empty()) {
    stats_.dropped_export_failed += queue_.size();
    logger_.warn("spans dropped at stop", {{"spans", static_cast<std::uint64_t>(queue_.size())}});
    queue_.clear();
  }
}

asio::awaitable<void> BatchSpanProcessor::export_one_batch(steady::time_point deadline) {
  const auto n =
      static_cast<std::ptrdiff_t>(std::min(queue_.size(), config_.max_export_batch_size));
  const auto end = queue_.begin() + n;
  std::vector<proto::SpanData> batch(std::make_move_iterator(queue_.begin()),
                                     std::make_move_iterator(end));
  queue_.erase(queue_.begin(), end);
  const auto result = co_await exporter_.export_batch(batch, deadline);
  if (result.delivered) {
    const auto rejected = std::min(result.rejected, batch.size());
    stats_.exported += batch.size() - rejected;
    stats_.dropped_rejected += rejected;
    if (failing_) logger_.info("span export recovered", {{"spans", batch.size()}});
    failing_ = false;
    if (rejected > 0 && !rejecting_) {
      logger_.warn("collector rejected spans", {{"spans", rejected}, {"error", result.error}});
    }
    rejecting_ = rejected > 0;
    co_return;
  }
  stats_.dropped_export_failed += batch.size();
  ++stats_.export_failures;
  // Once per outage, not once per batch: a dead collector must not flood the log.
  if (!failing_)
    logger_.warn("span export failed", {{"error", result.error}, {"spans", batch.size()}});
  failing_ = true;
}

asio::awaitable<void> BatchSpanProcessor::stop() {
  if (!running_) co_return;
  stopping_ = true;
  flush_deadline_ = steady::now() + config_.shutdown_flush;
  // An export in flight (a hanging collector) gets the same budget as the flush.
  give_up_timer_.expires_at(flush_deadline_);
  give_up_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    give_up_ = true;
    exporter_.abort();
  });
  wake_.cancel();
  co_await finished_.async_wait(asio::as_tuple(asio::use_awaitable));
  give_up_timer_.cancel();
  logger_.info("span processor stopped",
               {{"exported", stats_.exported},
                {"dropped", stats_.dropped_queue_full + stats_.dropped_export_failed +
                                stats_.dropped_rejected}});
}

SpanExportStats BatchSpanProcessor::stats() const {
  auto s = stats_;
  s.queued = queue_.size();
  return s;
}

}  // namespace relay::service
