#include "service/batch_planner.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_set>

namespace relay::service {

PlannedBatch plan_batch(const FrameLog& log, LogPosition cursor, const SubscriptionFilter& filter,
                        const BatchLimits& limits, bool conflate) {
  PlannedBatch plan;
  const LogPosition end = log.end_position();
  // The window: as many matching entries as the limits allow. Non-matching entries are
  // consumed too (the cursor moves past them) but cost nothing.
  std::vector<LogPosition> window;
  std::uint64_t window_bytes = 0;
  LogPosition position = cursor;
  for (; position < end; ++position) {
    const auto& entry = log.at(position);
    // Silent entries (events folded without a notification) hold a position, no bytes.
    if (entry.frame->empty() || !filter.matches(entry.type, entry.worker_id, entry.region)) continue;
    if (!window.empty() && (window.size() >= limits.max_frames ||
                            window_bytes + entry.frame->size() > limits.max_bytes)) {
      break;
    }
    window.push_back(position);
    window_bytes += entry.frame->size();
  }
  plan.next_cursor = position;
  if (!conflate) {
    for (auto p : window) plan.bytes += log.at(p).frame->size();
    plan.positions = std::move(window);
    return plan;
  }

  // Walk backwards so the newest entry per key is the one kept.
  std::unordered_set<std::string_view> seen_keys;
  plan.positions.reserve(window.size());
  for (auto it = window.rbegin(); it != window.rend(); ++it) {
    const auto& entry = log.at(*it);
    if (!entry.conflation_key.empty() && !seen_keys.insert(entry.conflation_key).second) {
      ++plan.conflated;
      continue;
    }
    plan.positions.push_back(*it);
    plan.bytes += entry.frame->size();
  }
  std::reverse(plan.positions.begin(), plan.positions.end());
  return plan;
}

}  // namespace relay::service
