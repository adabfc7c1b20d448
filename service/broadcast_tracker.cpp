#include "service/broadcast_tracker.hpp"

namespace relay::service {

void BroadcastTracker::appended(LogPosition position, time_point now, Span span) {
  pending_.push_back({position, now, std::move(span)});
}

void BroadcastTracker::carried(LogPosition end, const SweepFigures& sweep, time_point now) {
  if (pending_.empty() || pending_.front().position >= end) return;
  // One sweep carries every entry appended before it began: each of their spans reports
  // that sweep's figures (k events in one sweep repeat them k times; sse.sweep.events is k).
  std::uint64_t carried = 0;
  for (const auto& p : pending_) carried += p.position < end ? 1 : 0;
  while (!pending_.empty() && pending_.front().position < end) {
    auto& p = pending_.front();
    latency_.observe(std::chrono::duration<double>(now - p.appended).count());
    if (p.span.recording()) {
      p.span.set("sse.subscribers", sweep.subscribers)
          .set("sse.subscribers.woken", sweep.woken)
          .set("sse.sweep.events", carried)
          .set("sse.frames", sweep.deliveries)
          .set("sse.bytes", sweep.bytes)
          .set("sse.conflated", sweep.conflated)
          .set("sse.evicted", sweep.evicted)
          .set("messaging.batch.message_count", carried);
      p.span.end();
    }
    pending_.pop_front();
  }
}

}  // namespace relay::service
