#pragma once
// SSEEventRelay: the hosted service that broadcasts notifications to every subscribed
// stream. Broadcast appends one encoded frame to the shared log and schedules a pass that
// wakes idle subscribers; it never waits for any of them (DESIGN 3, STYLE 4).
#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
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
                Logger& logger);
  ~SseEventRelay() override;

  // HostedService
  [[nodiscard]] std::string_view name() const override { return "sse-event-relay"; }
  void start() override;
  /// Stops taking publishes and subscribers, lets every stream flush and end with
  /// system.sse.shutdown, and closes what is still writing when the grace runs out.
  boost::asio::awaitable<void> stop() override;

  /// Assigns the next id, encodes the frame once, appends it and schedules a broadcast
  /// pass (at once after a quiet spell, else flush_interval after the previous pass).
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
  [[nodiscard]] std::size_t subscriber_count() const { return subscribers_.size(); }
  [[nodiscard]] bool stopping() const { return stopping_; }
  [[nodiscard]] boost::asio::any_io_executor executor() const { return executor_; }

 private:
  friend class Subscription;

  void mark_idle(Subscription& sub);
  void unmark_idle(Subscription& sub);
  void begin_write(Subscription& sub);
  void end_write(Subscription& sub);
  void remove(Subscription& sub);
  void evict(Subscription& sub, EvictionReason reason);
  void evict_slow_writers();
  /// Wakes every idle subscriber (or those `only_due` for a heartbeat).
  void wake_idle(bool only_due = false);
  void schedule_pass();
  void run_pass();
  void schedule_tick();
  void count_conflated(std::size_t n) { stats_.conflated += n; }
  void count_written(const OutgoingBatch& batch);
  std::shared_ptr<const std::string> heartbeat_frame();
  std::shared_ptr<const std::string> shutdown_frame();
  std::string preamble_for(const std::string& client_id, const struct ReplayDecision& decision);
  std::string random_hex(std::size_t digits);

  boost::asio::any_io_executor executor_;
  RelayConfig config_;
  const Clock& clock_;
  Logger& logger_;
  std::string instance_id_;
  std::mt19937_64 random_;
  domain::EventIdGenerator ids_;
  FrameLog log_;
  RelayStats stats_;
  bool stopping_ = false;
  bool stopped_ = false;  ///< stop() completed: no timer re-arms.

  std::unordered_set<Subscription*> subscribers_;
  /// Subscribers with nothing to write, woken by the next pass, heartbeat tick or stop.
  /// Both lists are unordered with a slot index in the subscription: O(1) in and out.
  std::vector<Subscription*> idle_;
  std::vector<Subscription*> writers_;  ///< A write in flight; checked for slow consumers.
  std::vector<Subscription*> waking_;   ///< Scratch list of wake_idle(), kept for its capacity.
  boost::asio::steady_timer pass_timer_;       ///< Next broadcast pass.
  bool pass_scheduled_ = false;
  boost::asio::steady_timer::time_point last_pass_{};
  boost::asio::steady_timer::duration last_pass_duration_{};
  LogPosition log_end_at_last_pass_ = 0;
  LogPosition entries_in_last_pass_ = 0;  ///< New log entries the last pass carried.
  boost::asio::steady_timer tick_timer_;       ///< Heartbeats and slow-writer checks.
  bool ticking_ = false;
  boost::asio::steady_timer drained_;  ///< Cancelled when the last subscriber leaves.
};

}  // namespace relay::service
