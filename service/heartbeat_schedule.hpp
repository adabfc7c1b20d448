#pragma once
// When a quiet stream needs a heartbeat: after `interval` without any write to it, so
// proxies and browsers keep the connection and a dead peer is found by the write.
#include <chrono>

namespace relay::service {

/// Tracks the last write to one stream; pure, time is passed in.
class HeartbeatSchedule {
 public:
  using clock = std::chrono::steady_clock;

  HeartbeatSchedule(std::chrono::milliseconds interval, clock::time_point start)
      : interval_(interval), last_write_(start) {}

  /// Any bytes written (event or heartbeat) restart the silence.
  void on_write(clock::time_point now) { last_write_ = now; }

  /// The moment the next heartbeat is due if nothing else is written.
  [[nodiscard]] clock::time_point deadline() const { return last_write_ + interval_; }

  [[nodiscard]] bool due(clock::time_point now) const { return now >= deadline(); }

 private:
  std::chrono::milliseconds interval_;
  clock::time_point last_write_;
};

}  // namespace relay::service
