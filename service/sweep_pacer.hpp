#pragma once
// When the next broadcast sweep and the next fan-out tick are due (DESIGN 3). Pure: the
// fan-out passes the time in and arms its timers with the answers.
#include <algorithm>
#include <chrono>

#include "service/frame_log.hpp"

namespace relay::service {

class SweepPacer {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit SweepPacer(std::chrono::milliseconds flush_interval) : flush_interval_(flush_interval) {}

  /// A sweep starts at `now` with the log ending at `log_end`; returns where the entries it
  /// carries end (everything appended before it).
  LogPosition start(time_point now, LogPosition log_end) {
    last_start_ = now;
    entries_in_last_ = log_end - carried_end_;
    carried_end_ = log_end;
    return carried_end_;
  }

  /// When a sweep asked for at `now` should start. After a sweep that carried at most one new
  /// entry, events come slower than sweeps run (a quiet spell, or a closed loop waiting on
  /// each delivery): at once. Under load, no sooner than the flush interval after the last
  /// one began, so the events of that time reach each subscriber in one write; a sweep that
  /// took longer than that is followed directly. Each subscriber is written once per sweep
  /// whatever it carries, so the cost is per subscriber, not per event.
  [[nodiscard]] time_point next_due(time_point now) const {
    if (entries_in_last_ <= 1) return now;
    return std::max(now, last_start_ + flush_interval_);
  }

  /// The end of what the last sweep carried: entries appended after it wait for the next.
  [[nodiscard]] LogPosition carried_end() const { return carried_end_; }

  /// The fan-out tick (due heartbeats, writer checks): a quarter of the heartbeat and of the
  /// write timeout, between 5 ms and 1 s, so either is acted on at most that late.
  static std::chrono::milliseconds tick_period(std::chrono::milliseconds heartbeat,
                                               std::chrono::milliseconds write_timeout) {
    using std::chrono::milliseconds;
    auto period = std::clamp(heartbeat / 4, milliseconds(5), milliseconds(1000));
    if (write_timeout.count() > 0)
      period = std::min(period, std::max(write_timeout / 4, milliseconds(5)));
    return period;
  }

 private:
  std::chrono::milliseconds flush_interval_;
  time_point last_start_{};
  LogPosition carried_end_ = 0;
  LogPosition entries_in_last_ = 0;
};

}  // namespace relay::service
