#pragma once
// Exact latency percentiles: every sample is kept (4 bytes each; 10 M deliveries = 40 MB),
// so a tail is never an artefact of bucketing.
#include <cstdint>
#include <vector>

namespace relay::bench {

struct LatencySummary {
  std::uint64_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};

class LatencyRecorder {
 public:
  void record_us(std::uint32_t micros) { samples_.push_back(micros); }
  /// Allocates up front: growing a vector of millions mid-run copies it and page-faults,
  /// a stall of tens of milliseconds in the very loop that timestamps deliveries.
  void reserve(std::size_t samples) { samples_.reserve(samples); }
  [[nodiscard]] std::uint64_t count() const { return samples_.size(); }
  /// Sorts in place; nearest-rank percentiles.
  LatencySummary summarize();

 private:
  std::vector<std::uint32_t> samples_;
};

}  // namespace relay::bench
