#pragma once
// SSEEventRelay: the hosted service that broadcasts notifications to every subscribed
// stream. Broadcast appends one encoded frame to the shared log and asks for a sweep that
// wakes idle subscribers; it never waits for any of them (DESIGN 3, STYLE 4).
#include <cstddef>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "domain/event_id.hpp"
#include "domain/notification.hpp"
#include "service/clock.hpp"
#include "service/frame_log.hpp"
#include "service/hosted_service.hpp"
#include "service/logger.hpp"
#include "service/relay_config.hpp"
#include "service/relay_stats.hpp"
#include "service/subscription.hpp"
#include "service/tracer.hpp"

namespace relay::service {

/// A subscribe or publish the relay declined, with the HTTP status that says why.
struct Rejection {
  int status = 503;
  std::string_view reason;  ///< "draining" | "too_many_subscribers"
};

/// What a new stream asked for.
struct SubscribeRequest {
  SubscriptionFilter filter;
  std::optional<std::string> last_event_id;  ///< Last-Event-ID header, else `?since=`.
};

class SseEventRelay final : public HostedService {
 public:
  SseEventRelay(boost::asio::any_io_executor executor, RelayConfig config, const Clock& clock,
                Logger& logger, Tracer& tracer);
  ~SseEventRelay() override;

  // HostedService
  [[nodiscard]] std::string_view name() const override { return "sse-event-relay"; }
  void start() override;
  /// Stops taking publishes and subscribers, lets every stream flush and end with
  /// system.sse.shutdown, and closes what is still writing when the grace runs out.
  boost::asio::awaitable<void> stop() override;

  /// Assigns the next id, encodes the frame once, appends it and schedules a broadcast
  /// sweep (at once after a quiet spell, else flush_interval after the previous one began).
  /// With tracing on, an `sse.broadcast <type>` span (child of the notification's
  /// traceparent) starts here and ends with the sweep that carried the event; its context
  /// is the envelope's traceparent.
  std::variant<domain::EventId, Rejection> publish(const domain::Notification& notification);

  /// Takes the next id for an accepted event that changes nothing subscribers see (a
  /// stale sample, a repeated status): it holds a position in the log, so a client resuming
  /// from this id resumes exactly, but has no frame.
  std::variant<domain::EventId, Rejection> record_silent();

  /// Opens a subscription positioned by its Last-Event-ID (replay, resync or live).
  std::variant<std::unique_ptr<Subscription>, Rejection> subscribe(SubscribeRequest request);

  [[nodiscard]] const FrameLog& log() const { return log_; }
  [[nodiscard]] const RelayStats& stats() const { return stats_; }
  [[nodiscard]] const RelayConfig& config() const { return config_; }
  [[nodiscard]] const std::string& instance_id() const { return instance_id_; }
  [[nodiscard]] Tracer& tracer() const { return tracer_; }
  [[nodiscard]] std::size_t subscriber_count() const { return ring_.size() - ring_holes_; }
  [[nodiscard]] bool stopping() const { return stopping_; }

 private:
  friend class Subscription;

  void begin_write(Subscription& sub);
  void end_write(Subscription& sub);
  void remove(Subscription& sub);
  void evict(Subscription& sub, EvictionReason reason);
  void evict_slow_writers();
  void wake(Subscription& sub);
  /// Wakes every parked subscriber (stop), or those whose heartbeat is due (tick).
  void wake_parked(bool only_heartbeat_due);
  /// A broadcast sweep wakes parked subscribers that have something; see request_sweep().
  void request_sweep();
  void start_sweep();
  void continue_sweep();
  void compact_ring();
  void schedule_tick();
  void count_conflated(std::size_t n) { stats_.conflated += n; }
  void count_written(const OutgoingBatch& batch);
  /// The frames of [from, end of log) concatenated once and shared by every subscriber that
  /// takes exactly that range unfiltered and not behind: after a sweep they all parked at
  /// the same place, so one string serves them all as a single buffer. Null when the range
  /// has no frames or exceeds the batch limits (the planner handles those).
  struct SharedRange {
    LogPosition from = 0;
    LogPosition to = 0;
    std::size_t frames = 0;
    std::shared_ptr<const std::string> bytes;  ///< Null: the range is not shareable.
  };
  const SharedRange* shared_range(LogPosition from);
  std::shared_ptr<const std::string> heartbeat_frame();
  std::shared_ptr<const std::string> shutdown_frame();
  std::string preamble_for(const std::string& client_id, const struct ReplayDecision& decision);
  std::string random_hex(std::size_t digits);
  /// Ends the broadcast of every entry before `end`: observes its latency and closes its span
  /// with what the sweep did.
  void finish_broadcasts(LogPosition end);

  boost::asio::any_io_executor executor_;
  RelayConfig config_;
  const Clock& clock_;
  Logger& logger_;
  Tracer& tracer_;
  std::string instance_id_;
  std::mt19937_64 random_;
  domain::EventIdGenerator ids_;
  FrameLog log_;
  RelayStats stats_;
  bool stopping_ = false;
  bool stopped_ = false;  ///< stop() completed: no timer re-arms.

  /// Every subscription in a stable order (sweeps visit them so); leaving ones leave a
  /// hole (nullptr) until the ring is compacted between sweeps.
  std::vector<Subscription*> ring_;
  std::size_t ring_holes_ = 0;
  std::vector<Subscription*> writers_;  ///< A write in flight; checked for slow consumers.
  SharedRange shared_range_;            ///< The last range built, reused while it still matches.
  static constexpr std::size_t sweep_slice = 256;  ///< Subscribers per turn of the loop.
  boost::asio::steady_timer sweep_timer_;          ///< Next sweep, or the sweep's next slice.
  bool sweep_scheduled_ = false;
  bool sweep_active_ = false;
  bool sweep_again_ = false;  ///< Something may be pending behind the running sweep.
  std::size_t sweep_next_ = 0;
  boost::asio::steady_timer::time_point last_sweep_start_{};
  LogPosition log_end_at_last_sweep_ = 0;
  LogPosition entries_in_last_sweep_ = 0;  ///< New log entries the last sweep carried.
  /// Entries appended but not yet carried by a finished sweep, oldest first.
  struct PendingBroadcast {
    LogPosition position = 0;
    boost::asio::steady_timer::time_point appended;
    Span span;  ///< Not recording when unsampled or tracing is off.
  };
  std::deque<PendingBroadcast> pending_;
  /// The stats as the running sweep began, so its broadcast spans can report what it did.
  struct SweepCounts {
    std::uint64_t deliveries = 0, bytes = 0, conflated = 0, evictions = 0;
    std::size_t subscribers = 0;
  };
  SweepCounts sweep_base_;
  std::uint64_t sweep_woken_ = 0;         ///< Parked subscribers the running sweep woke.
  boost::asio::steady_timer tick_timer_;  ///< Heartbeats and slow-writer checks.
  bool ticking_ = false;
  boost::asio::steady_timer drained_;  ///< Cancelled when the last subscriber leaves.
};

}  // namespace relay::service
