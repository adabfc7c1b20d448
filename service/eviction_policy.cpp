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
  }
  return "unknown";
}

std::optional<EvictionReason> eviction_for(const SubscriberProgress& progress, const FrameLog& log,
                                           std::uint64_t max_pending_bytes) {
  // Entries still in the current write are held by that write; only entries it has not
  // taken yet are lost when trimmed.
  if (progress.taken < log.begin_position()) return EvictionReason::lagging;
  // Counts every byte after the acknowledged position, filtered-out frames included: a
  // subscriber is charged for the traffic that passed while its socket did not drain.
  const std::uint64_t unsent = log.total_bytes() - log.bytes_before(progress.acknowledged);
  if (unsent > max_pending_bytes) return EvictionReason::slow_consumer;
  return std::nullopt;
}

}  // namespace relay::service
