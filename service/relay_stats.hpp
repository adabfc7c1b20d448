#pragma once
// Counters the relay keeps for /api/events/stats and /metrics. One thread owns the relay,
// so these are plain integers.
#include <array>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <string_view>

#include "service/eviction_policy.hpp"

namespace relay::service {

/// Seconds from an event's append to the end of the sweep that carried it to every
/// subscriber keeping up; fixed buckets, rendered as a Prometheus histogram.
struct LatencyHistogram {
  static constexpr std::array<double, 14> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
  std::array<std::uint64_t, bounds.size()> in_bucket{};  ///< Not cumulative; above the last: none.
  std::uint64_t count = 0;
  double sum = 0;

  void observe(double seconds) {
    ++count;
    sum += seconds;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      if (seconds <= bounds[i]) {
        ++in_bucket[i];
        return;
      }
    }
  }
};

struct TypeStats {
  std::uint64_t published = 0;  ///< Frames of this type fanned out.
};

struct RelayStats {
  std::uint64_t subscriptions_total = 0;  ///< Streams ever opened.
  std::uint64_t events_broadcast = 0;     ///< Log events folded into a frame and fanned out.
  std::uint64_t events_silent = 0;        ///< Log events that changed nothing to broadcast.
  std::uint64_t fold_rejected = 0;        ///< Log events the fold refused (lost a race): silent.
  std::uint64_t deliveries = 0;           ///< Event frames written, summed over subscribers.
  std::uint64_t bytes_written = 0;        ///< Stream bytes written, relay events included.
  std::uint64_t conflated = 0;            ///< Frames skipped because a newer one had their key.
  std::uint64_t heartbeats = 0;
  std::uint64_t resyncs = 0;
  /// The same by reason (too_old, unknown, malformed, future, and the bus's loss reasons):
  /// a handful of names the relay itself chooses, so the map stays small.
  std::map<std::string, std::uint64_t, std::less<>> resyncs_by_reason;
  std::uint64_t reauths = 0;  ///< Streams closed with system.sse.reauth (their token expired).
  std::uint64_t rejected_subscriptions = 0;  ///< 503 for max clients or draining.
  std::array<std::uint64_t, std::size(all_eviction_reasons)> evictions{};  ///< By EvictionReason.
  /// By SSE type, at most `max_counted_types` names; later new types count under
  /// `other_types` (a name no event type can have), so hostile traffic with ever new types
  /// cannot grow the stats, /metrics or their rendering without bound.
  std::map<std::string, TypeStats, std::less<>> per_type;
  LatencyHistogram broadcast_latency;

  static constexpr std::size_t max_counted_types = 256;
  static constexpr std::string_view other_types = "(other)";

  /// Counts one frame of `type` fanned out.
  void count_type(std::string_view type) {
    auto it = per_type.find(type);
    if (it == per_type.end()) {
      const bool room = per_type.size() < max_counted_types;
      it = per_type.emplace(std::string(room ? type : other_types), TypeStats{}).first;
    }
    ++it->second.published;
  }

  /// Counts `n` streams told to resync for `reason`.
  void count_resyncs(std::string_view reason, std::uint64_t n = 1) {
    resyncs += n;
    auto it = resyncs_by_reason.find(reason);
    if (it == resyncs_by_reason.end()) it = resyncs_by_reason.emplace(std::string(reason), 0).first;
    it->second += n;
  }

  [[nodiscard]] std::uint64_t evictions_for(EvictionReason r) const {
    return evictions[static_cast<std::size_t>(r)];
  }
  [[nodiscard]] std::uint64_t evictions_total() const {
    std::uint64_t total = 0;
    for (auto n : evictions) total += n;
    return total;
  }
};

}  // namespace relay::service
