#pragma once
// The fan-out's sense of time: the steady clock it reads and the wake-ups it asks for (the
// next broadcast sweep, the sweep's next slice, the heartbeat tick, the end of the drain
// grace). Fanout itself owns no timer and reads no clock: AsioFanoutTimers drives it on
// the io_context; the tests drive it with time passed in (tests/support/manual_fanout_timers).
#include <chrono>

#include <boost/asio/awaitable.hpp>

namespace relay::service {

class Fanout;

class FanoutTimers {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~FanoutTimers() = default;

  /// Called by the fan-out it serves, once, in its constructor.
  void attach(Fanout& fanout) { fanout_ = &fanout; }

  [[nodiscard]] virtual time_point now() const = 0;
  /// Call Fanout::sweep(now) at `due`; replaces a sweep asked for before.
  virtual void sweep_at(time_point due) = 0;
  /// Call Fanout::sweep_slice(now) after the work already queued on the loop (ingest runs
  /// between the slices of a sweep).
  virtual void next_slice() = 0;
  /// Call Fanout::tick(now) at `due`.
  virtual void tick_at(time_point due) = 0;
  /// No sweep, slice or tick after this (the relay stopped, or nobody is left to drain).
  virtual void cancel() = 0;
  /// Completes when drained() is called or `grace` has passed, whichever comes first.
  virtual boost::asio::awaitable<void> drain_wait(std::chrono::milliseconds grace) = 0;
  /// The last subscriber left: a drain_wait in progress completes.
  virtual void drained() = 0;

 protected:
  Fanout* fanout_ = nullptr;
};

}  // namespace relay::service
