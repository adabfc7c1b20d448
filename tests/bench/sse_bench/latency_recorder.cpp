#include "latency_recorder.hpp"

#include <algorithm>
#include <cmath>

namespace relay::bench {

LatencySummary LatencyRecorder::summarize() {
  LatencySummary s;
  s.count = samples_.size();
  if (samples_.empty()) return s;
  std::sort(samples_.begin(), samples_.end());
  auto at = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples_.size())));
    return static_cast<double>(samples_[std::clamp<std::size_t>(rank, 1, samples_.size()) - 1]) /
           1000.0;
  };
  s.p50_ms = at(0.50);
  s.p90_ms = at(0.90);
  s.p99_ms = at(0.99);
  s.p999_ms = at(0.999);
  s.max_ms = static_cast<double>(samples_.back()) / 1000.0;
  return s;
}

}  // namespace relay::bench
