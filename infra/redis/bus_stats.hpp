#pragma once
// The Redis bus's figures for /metrics and /api/events/stats. They belong to the adapter,
// not to the EventLog port: the composition root hands them to the routes when the log is
// the Redis one (the memory log has none).
#include <cstdint>

namespace relay::infra {

struct BusStats {
  std::uint64_t appends = 0;          ///< Append requests Redis stored (retries included).
  std::uint64_t append_failures = 0;  ///< Answered bus_unavailable.
  /// Script runs that stored appends (group commit: appends / groups is the mean group).
  std::uint64_t append_groups = 0;
  std::uint64_t reconnects = 0;       ///< The command connection re-established.
  std::uint64_t epoch_changes = 0;    ///< Rebuilds after data loss (epoch changed, rewound).
  std::uint64_t gaps = 0;  ///< Entries trimmed unread that no snapshot covered (lost here).
  std::uint64_t snapshots_written = 0;
  std::uint64_t lag_entries = 0;  ///< Entries appended after the last one folded (last probe).
  std::uint64_t lag_ms = 0;       ///< The newest entry's time minus the last folded one's.
  /// Entries this replica appended, folded from the record it held (not decoded again).
  std::uint64_t carried = 0;
  std::uint64_t undecodable = 0;  ///< Entries logged and skipped (never delivered as other).
  bool connected = false;  ///< The command connection is up now.
};

}  // namespace relay::infra
