#pragma once
// When a subscriber must go so that no one else waits for it (DESIGN 3, STYLE 4).
#include <chrono>
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
  write_timeout,     ///< Its current write has not completed within the write timeout.
};

/// Every reason, in enum order (stats and metrics list each one, zero or not).
inline constexpr EvictionReason all_eviction_reasons[] = {
    EvictionReason::lagging, EvictionReason::slow_consumer, EvictionReason::shutdown_timeout,
    EvictionReason::write_timeout};

/// Stable lower-case name used in logs, stats and metrics labels.
std::string_view to_string(EvictionReason reason);

/// Where one subscriber with a write in flight stands in the log.
struct SubscriberProgress {
  LogPosition acknowledged = 0;  ///< Everything before it is written to the socket.
  LogPosition taken = 0;         ///< Everything before it is written or in the current write.
  std::chrono::steady_clock::time_point write_started;  ///< When the current write began.
};

/// The bounds a writing subscriber must stay within.
struct EvictionLimits {
  std::uint64_t max_pending_bytes = 1024UL * 1024;
  std::chrono::milliseconds write_timeout{30000};  ///< 0: no write deadline.
};

/// The verdict at `now` for one subscriber whose write is in flight: evict (and why) or
/// keep. A write that does not complete within the timeout is a peer that stopped reading
/// (or vanished without a FIN): without the deadline it would hold its slot until TCP's
/// retransmission timer gave up, some fifteen minutes later.
std::optional<EvictionReason> eviction_for(const SubscriberProgress& progress, const FrameLog& log,
                                           const EvictionLimits& limits,
                                           std::chrono::steady_clock::time_point now);

}  // namespace relay::service
