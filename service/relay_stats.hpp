#pragma once
// Counters the relay keeps for /api/events/stats and /metrics. One thread owns the relay,
// so these are plain integers.
#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "service/eviction_policy.hpp"

namespace relay::service {

struct TypeStats {
  std::uint64_t published = 0;  ///< Events of this type accepted into the log.
  std::uint64_t delivered = 0;  ///< Frames of this type written to subscribers.
};

struct RelayStats {
  std::uint64_t subscriptions_total = 0;  ///< Streams ever opened.
  std::uint64_t events_published = 0;     ///< Events accepted into the log.
  std::uint64_t events_broadcast = 0;     ///< Events fanned out to the subscribers.
  std::uint64_t events_silent = 0;        ///< Accepted events that changed nothing to broadcast.
  std::uint64_t deliveries = 0;           ///< Event frames written, summed over subscribers.
  std::uint64_t bytes_written = 0;        ///< Stream bytes written, relay events included.
  std::uint64_t conflated = 0;            ///< Frames skipped because a newer one had their key.
  std::uint64_t heartbeats = 0;
  std::uint64_t resyncs = 0;
  std::uint64_t rejected_subscriptions = 0;  ///< 503 for max clients or draining.
  std::array<std::uint64_t, 3> evictions{};  ///< Indexed by EvictionReason.
  std::map<std::string, TypeStats, std::less<>> per_type;

  [[nodiscard]] std::uint64_t evictions_for(EvictionReason r) const {
    return evictions[static_cast<std::size_t>(r)];
  }
};

}  // namespace relay::service
