#pragma once
// The fan-out (DESIGN 3): every subscription in a stable ring, woken by broadcast sweeps
// when the frame log grows, by a heartbeat tick, and at stop; writers checked for eviction.
// It owns the subscriptions and acts on their answers; it calls the transports (sinks) and
// never waits on them, so broadcast stays O(1) plus waking the parked (STYLE 4). Time comes
// in from FanoutTimers: sweep(now), sweep_slice(now) and tick(now) are called by them, and
// the fan-out reads no clock and owns no timer.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "service/broadcast_tracker.hpp"
#include "service/fanout_timers.hpp"
#include "service/frame_log.hpp"
#include "service/telemetry/logger.hpp"
#include "service/relay_config.hpp"
#include "service/relay_frames.hpp"
#include "service/relay_stats.hpp"
#include "service/shared_range.hpp"
#include "service/subscriber_sink.hpp"
#include "service/subscription.hpp"
#include "service/sweep_pacer.hpp"

namespace relay::service {

class Fanout {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  Fanout(FanoutTimers& timers, const RelayConfig& config, const FrameLog& frame_log,
         RelayFrames& relay_frames, RelayStats& stats, Logger& logger);
  ~Fanout();
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  /// Takes a new subscription into the ring, attached to its transport, and writes its
  /// preamble (and replay) at once. The subscription lives until the fan-out closes the
  /// sink (which may happen inside this call), or the transport calls leave().
  void join(std::unique_ptr<Subscription> sub, SubscriberSink& sink);

  /// The transport is gone (peer closed, write failed): forget the subscription.
  void leave(Subscription& sub);

  /// A pending write of `sub` completed successfully.
  void write_done(Subscription& sub);

  /// The frame log grew by the frame at `position`: schedule a sweep. `span` is its
  /// broadcast span, ended (and its latency observed) by the sweep that carries it.
  void appended(LogPosition position, Span span);

  /// The log grew by a silent entry (a position, no frame): a sweep moves parked cursors
  /// past it, so a run of silent events longer than the log cannot leave a quiet subscriber
  /// looking "lagging"; it is not a broadcast and has no latency.
  void appended_silent() { request_sweep(); }

  /// The log the frames mirrored was rebuilt (the bus lost data): every subscriber gets
  /// system.sse.resync {reason} after what it is writing and continues live from the log's
  /// end; nothing of before is sent after it.
  void resync_all(const std::string& reason);

  /// Stop: every subscriber flushes what it has not been written and gets the shutdown
  /// frame; no sweep or tick runs after the last one left.
  void begin_drain();

  /// Completes when no subscriber is left, or when `grace` ran out.
  boost::asio::awaitable<void> drained(std::chrono::milliseconds grace);

  /// Evicts every subscriber still there (the grace ran out), and stops the timers.
  void close_all(EvictionReason reason);

  // Called by the timers.
  /// The sweep asked for is due: it starts, with its first slice.
  void sweep(time_point now);
  /// The running sweep's next slice.
  void sweep_slice(time_point now);
  /// The heartbeat tick: writers checked against the budget and deadline, due heartbeats.
  void tick(time_point now);

  [[nodiscard]] std::size_t size() const { return ring_.size() - ring_holes_; }

  // Operator actions (the admin routes): rare, so a walk over the ring is fine.
  /// Calls `visit(const Subscription&)` for every open subscription.
  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (const auto& sub : ring_) {
      if (sub) visit(static_cast<const Subscription&>(*sub));
    }
  }
  /// Bytes the log holds that `sub` has not been written yet.
  [[nodiscard]] std::uint64_t unsent_bytes(const Subscription& sub) const {
    return sub.unsent_bytes(frame_log_);
  }
  /// Closes the stream `client_id` (no event: its client reconnects and resumes from its
  /// last id). False when no open stream has that id.
  bool close_stream(std::string_view client_id);
  /// Revokes every stream whose token subject is `subject`: each gets system.sse.reauth
  /// {"reason":"revoked"} after what it is writing, then closes. Returns how many.
  std::size_t revoke_subject(std::string_view subject);

 private:  /// What each in-flight write carries, by writer slot, counted when it completes.
  struct WriteFigures {
    std::size_t event_frames = 0;
    std::uint64_t bytes = 0;
  };

  /// Writes to `sub` until it parks, writes asynchronously, finishes or goes.
  void serve(Subscription& sub);
  /// Acts on a completed write; true when `sub` should be served again at once.
  bool after_write(Subscription& sub, const WriteFigures& figures, time_point now);
  void evict(Subscription& sub, EvictionReason reason);
  /// Forgets `sub`; closes its sink unless the transport itself left.
  void remove(Subscription& sub, bool close_sink, bool graceful);
  void begin_write(Subscription& sub, const WriteFigures& figures);
  void end_write(Subscription& sub);
  void evict_stuck_writers(time_point now);
  /// Serves parked subscribers that have work: all (stop), or those whose heartbeat is due.
  void wake_parked(bool only_heartbeat_due, time_point now);
  void request_sweep();
  void compact_ring();
  void schedule_tick();
  WriteContext context();

  FanoutTimers& timers_;
  const RelayConfig& config_;
  const FrameLog& frame_log_;
  RelayFrames& relay_frames_;
  RelayStats& stats_;
  Logger& logger_;
  BroadcastTracker broadcasts_;
  SweepPacer pacer_;
  SharedRangeCache shared_;
  EvictionLimits limits_;
  bool draining_ = false;
  bool closed_ = false;  ///< close_all() ran: no timer re-arms.

  /// Every subscription in a stable order (sweeps visit them so); leaving ones leave a
  /// hole until the ring is compacted between sweeps.
  std::vector<std::unique_ptr<Subscription>> ring_;
  std::size_t ring_holes_ = 0;
  bool iterating_ = false;              ///< wake_parked() walks the ring: leave it in place.
  std::vector<Subscription*> writers_;  ///< A write in flight; checked for eviction.
  std::vector<WriteFigures> writer_figures_;
  static constexpr std::size_t slice_size = 256;  ///< Subscribers per turn of the loop.
  bool sweep_scheduled_ = false;
  bool sweep_active_ = false;
  bool sweep_again_ = false;  ///< Something may be pending behind the running sweep.
  std::size_t sweep_next_ = 0;
  SweepFigures sweep_base_;  ///< The stats as the running sweep began.
  std::uint64_t sweep_woken_ = 0;
  bool ticking_ = false;  ///< A tick is asked for.
};

}  // namespace relay::service
