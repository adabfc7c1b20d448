#pragma once
// Which log entries one subscriber gets in its next write: those after its cursor that pass
// its filter, with superseded conflatable entries dropped (DESIGN 4.2).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "service/frame_log.hpp"
#include "service/subscription_filter.hpp"

namespace relay::service {

/// Caps one gathered write, so a long replay progresses (and is acknowledged) in steps.
struct BatchLimits {
  std::size_t max_frames = 512;
  std::uint64_t max_bytes = 256UL * 1024;
};

/// The plan for one write.
struct PlannedBatch {
  std::vector<LogPosition> positions;  ///< In log order.
  LogPosition next_cursor = 0;         ///< Where the following batch starts.
  std::size_t conflated = 0;           ///< Entries skipped because a newer one has their key.
  std::uint64_t bytes = 0;
};

/// Plans the write for a subscriber at `cursor` (begin_position() <= cursor <= end_position()).
/// With `conflate`, an entry with a conflation key is skipped when a later entry in the same
/// window has the same key; entries without a key are never skipped, so lifecycle events are
/// never lost. Without it (a subscriber that is keeping up) every matching entry is kept.
PlannedBatch plan_batch(const FrameLog& log, LogPosition cursor, const SubscriptionFilter& filter,
                        const BatchLimits& limits, bool conflate = true);

}  // namespace relay::service
