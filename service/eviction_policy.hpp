#pragma once
// When a subscriber must go so that no one else waits for it (DESIGN 3, STYLE 4).
#include <cstdint>
#include <optional>
#include <string_view>

#include "service/frame_log.hpp"

namespace relay::service {

/// Why a subscriber was disconnected by the relay.
enum class EvictionReason {
  lagging,           ///< Its next unsent entry was trimmed from the log.
  slow_consumer,     ///< Bytes published but not yet written to it exceed the budget.
  shutdown_timeout,  ///< Still writing when the shutdown grace ran out.
};

/// Every reason, in enum order (stats and metrics list each one, zero or not).
inline constexpr EvictionReason all_eviction_reasons[] = {
    EvictionReason::lagging, EvictionReason::slow_consumer, EvictionReason::shutdown_timeout};

/// Stable lower-case name used in logs, stats and metrics labels.
std::string_view to_string(EvictionReason reason);

/// Where one subscriber stands in the log.
struct SubscriberProgress {
  LogPosition acknowledged = 0;  ///< Everything before it is written to the socket.
  LogPosition taken = 0;         ///< Everything before it is written or in the current write.
};

/// The verdict for one subscriber after the log moved: evict (and why) or keep.
std::optional<EvictionReason> eviction_for(const SubscriberProgress& progress, const FrameLog& log,
                                           std::uint64_t max_pending_bytes);

}  // namespace relay::service
