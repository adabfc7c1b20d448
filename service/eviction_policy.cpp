#include "service/eviction_policy.hpp"

namespace relay::service {

std::string_view to_string(EvictionReason reason) {
  switch (reason) {
    case EvictionReason::lagging:
      return "lagging";
    case EvictionReason::slow_consumer:
      return "slow_consumer";
    case EvictionReason::shutdown_timeout:
      return "shutdown_timeout";
    case EvictionReason::write_timeout:
      return "write_timeout";
  }
  return "unknown";
}

std::optional<EvictionReason> eviction_for(const SubscriberProgress& progress, const FrameLog& log,
                                           const EvictionLimits& limits,
                                           std::chrono::steady_clock::time_point now) {
  // Entries still in the current write are held by that write; only entries it has not
  // taken yet are lost when trimmed.
  if (progress.taken < log.begin_position()) return EvictionReason::lagging;
  // Counts every byte after the acknowledged position, filtered-out frames included: a
  // subscriber is charged for the traffic that passed while its socket did not drain.
  const std::uint64_t unsent = log.total_bytes() - log.bytes_before(progress.acknowledged);
  if (unsent > limits.max_pending_bytes) return EvictionReason::slow_consumer;
  if (limits.write_timeout.count() > 0 && now - progress.write_started >= limits.write_timeout) {
    return EvictionReason::write_timeout;
  }
  return std::nullopt;
}

}  // namespace relay::service
