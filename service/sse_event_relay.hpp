#pragma once
// SSEEventRelay: the hosted service of the broadcast side. It holds the frame log, the
// fan-out and the relay's counters, admits subscribers (positioned by their Last-Event-ID)
// and drains on stop: every stream flushes, gets system.sse.shutdown and closes, within the
// grace. The fold that fills the frame log is WorkerProjection's; the bytes are SseStream's.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <boost/asio/any_io_executor.hpp>

#include "service/clock.hpp"
#include "service/fanout.hpp"
#include "service/fanout_timers.hpp"
#include "service/frame_log.hpp"
#include "service/hosted_service.hpp"
#include "service/telemetry/logger.hpp"
#include "service/relay_config.hpp"
#include "service/relay_error.hpp"
#include "service/relay_frames.hpp"
#include "service/relay_stats.hpp"
#include "service/subscription.hpp"
#include "service/telemetry/tracer.hpp"

namespace relay::service {

/// What a new stream asked for.
struct SubscribeRequest {
  SubscriptionFilter filter;
  std::optional<std::string> last_event_id;  ///< Last-Event-ID header, else `?since=`.
  /// Wall-clock ms at which the subscriber's token stops being accepted; nullopt: never.
  std::optional<std::int64_t> expires_unix_ms;
  std::string address;  ///< The client's address (for the operator's listing).
  std::string subject;  ///< The token's `sub`; empty without one.
};

class SseEventRelay final : public HostedService {
 public:
  /// `timers`: the fan-out's wake-ups; null: AsioFanoutTimers on `executor` (tests pass
  /// their own to drive time by hand).
  SseEventRelay(boost::asio::any_io_executor executor, RelayConfig config, const Clock& clock,
                Logger& logger, Tracer& tracer, FanoutTimers* timers = nullptr);

  // HostedService
  [[nodiscard]] std::string_view name() const override { return "sse-event-relay"; }
  void start() override;
  /// Stops taking publishes and subscribers, lets every stream flush and end with
  /// system.sse.shutdown, and closes what is still writing when the grace runs out.
  boost::asio::awaitable<void> stop() override;

  /// A subscription positioned by its Last-Event-ID (replay, resync or live), ready for
  /// Fanout::join(); `draining` or `too_many_subscribers` when refused.
  std::variant<std::unique_ptr<Subscription>, error> subscribe(SubscribeRequest request);

  [[nodiscard]] Fanout& fanout() { return fanout_; }
  [[nodiscard]] FrameLog& frame_log() { return frame_log_; }
  [[nodiscard]] const FrameLog& frame_log() const { return frame_log_; }
  [[nodiscard]] RelayStats& stats() { return stats_; }
  [[nodiscard]] const RelayStats& stats() const { return stats_; }
  [[nodiscard]] const Clock& clock() const { return clock_; }
  [[nodiscard]] const RelayConfig& config() const { return config_; }
  [[nodiscard]] const std::string& instance_id() const { return relay_frames_.instance_id(); }
  [[nodiscard]] std::size_t subscriber_count() const { return fanout_.size(); }
  /// True from the start of stop(): ingest and subscribe refuse with `draining`.
  [[nodiscard]] const bool& stopping() const { return stopping_; }

 private:
  RelayConfig config_;
  const Clock& clock_;
  Logger& logger_;
  Tracer& tracer_;
  FrameLog frame_log_;
  RelayStats stats_;
  RelayFrames relay_frames_;
  std::unique_ptr<FanoutTimers> own_timers_;  ///< Unless the caller brought its own.
  Fanout fanout_;
  bool stopping_ = false;
};

}  // namespace relay::service
