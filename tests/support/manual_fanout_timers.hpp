#pragma once
// The fan-out's wake-ups with time passed in by the test: nothing happens until the test
// advances the clock, and then every wake-up due by then runs in time order, the clock
// moving to each one's due time first. The drain's grace is the one wait that goes through
// the io_context (SseEventRelay::stop is a coroutine): poll it after advancing.
#include <algorithm>
#include <chrono>
#include <optional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "service/fanout.hpp"
#include "service/fanout_timers.hpp"

namespace relay::test {

class ManualFanoutTimers final : public service::FanoutTimers {
 public:
  explicit ManualFanoutTimers(const boost::asio::any_io_executor& executor)
      : drain_(executor, boost::asio::steady_timer::time_point::max()) {}

  [[nodiscard]] time_point now() const override { return clock_; }
  void sweep_at(time_point due) override { sweep_due_ = due; }
  void next_slice() override { slice_due_ = true; }
  void tick_at(time_point due) override { tick_due_ = due; }
  void cancel() override {
    sweep_due_.reset();
    tick_due_.reset();
    slice_due_ = false;
  }
  boost::asio::awaitable<void> drain_wait(std::chrono::milliseconds grace) override {
    drain_due_ = clock_ + grace;
    co_await drain_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    drain_due_.reset();
  }
  void drained() override { drain_.cancel(); }

  /// Runs the next wake-up due by `until` (a pending slice first: it is due now). False
  /// when none is.
  bool step(time_point until) {
    if (slice_due_) {
      slice_due_ = false;
      fanout_->sweep_slice(clock_);
      return true;
    }
    const auto next = earliest();
    if (!next || *next > until) return false;
    clock_ = std::max(clock_, *next);
    if (sweep_due_ && *sweep_due_ == *next) {
      sweep_due_.reset();
      fanout_->sweep(clock_);
    } else if (tick_due_ && *tick_due_ == *next) {
      tick_due_.reset();
      fanout_->tick(clock_);
    } else {
      drain_due_.reset();
      drain_.cancel();  // the grace ran out: the stop coroutine goes on when polled
    }
    return true;
  }
  /// The next wake-up due now, without time passing.
  bool step() { return step(clock_); }
  /// Every wake-up due within `by`, in order, then the clock at now + `by`.
  void advance(std::chrono::milliseconds by) {
    const auto until = clock_ + by;
    while (step(until)) {
    }
    clock_ = until;
  }
  [[nodiscard]] std::optional<time_point> sweep_due() const { return sweep_due_; }
  [[nodiscard]] std::optional<time_point> tick_due() const { return tick_due_; }

 private:
  [[nodiscard]] std::optional<time_point> earliest() const {
    std::optional<time_point> best;
    for (const auto& due : {sweep_due_, tick_due_, drain_due_}) {
      if (due && (!best || *due < *best)) best = due;
    }
    return best;
  }

  time_point clock_{std::chrono::hours(1)};
  std::optional<time_point> sweep_due_;
  std::optional<time_point> tick_due_;
  std::optional<time_point> drain_due_;
  bool slice_due_ = false;
  boost::asio::steady_timer drain_;
};

}  // namespace relay::test
