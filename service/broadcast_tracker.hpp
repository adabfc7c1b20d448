#pragma once
// The broadcast of each frame from its append to the end of the sweep that carried it: the
// latency histogram and the `sse.broadcast <type>` span with what that sweep did (DESIGN 6).
#include <chrono>
#include <cstdint>
#include <deque>

#include "service/frame_log.hpp"
#include "service/relay_stats.hpp"
#include "service/telemetry/tracer.hpp"

namespace relay::service {

/// What one sweep did, for the spans of the entries it carried.
struct SweepFigures {
  std::uint64_t deliveries = 0, bytes = 0, conflated = 0, evicted = 0;
  std::uint64_t subscribers = 0, woken = 0;
};

class BroadcastTracker {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit BroadcastTracker(LatencyHistogram& latency) : latency_(latency) {}

  /// The frame at `position` was appended at `now`; `span` ends with the sweep that carries
  /// it (not recording when unsampled or tracing is off).
  void appended(LogPosition position, time_point now, Span span);

  /// A sweep carried every entry before `end`: observe their latency, end their spans.
  void carried(LogPosition end, const SweepFigures& sweep, time_point now);

  [[nodiscard]] bool empty() const { return pending_.empty(); }

 private:
  struct Pending {
    LogPosition position = 0;
    time_point appended;
    Span span;
  };
  LatencyHistogram& latency_;
  std::deque<Pending> pending_;
};

}  // namespace relay::service
