#pragma once
// The frames of [from, end of log) concatenated once and shared by every subscriber that
// takes exactly that range unfiltered and not behind: after a sweep they all parked at the
// same place, so one string serves them all as a single buffer (no planning, one iovec).
#include <cstddef>
#include <memory>
#include <string>

#include "service/batch_planner.hpp"
#include "service/frame_log.hpp"

namespace relay::service {

/// One shareable range of the log.
struct SharedRange {
  LogPosition from = 0;
  LogPosition to = 0;
  std::size_t frames = 0;
  std::shared_ptr<const std::string> bytes;  ///< Null: the range is not shareable.
};

/// Remembers the last range built and reuses it while the log has not moved.
class SharedRangeCache {
 public:
  /// The range from `from` to the log's end; null when it has no frames or exceeds the
  /// batch limits (the planner handles those).
  const SharedRange* get(const FrameLog& log, LogPosition from, const BatchLimits& limits);

 private:
  SharedRange last_;
};

}  // namespace relay::service
