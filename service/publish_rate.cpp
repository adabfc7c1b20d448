#include "service/publish_rate.hpp"

#include <algorithm>
#include <cmath>

namespace relay::service {

PublishRate::PublishRate(double rate, double burst, std::size_t max_producers)
    : rate_(rate), burst_(burst > 0 ? burst : std::max(rate, 1.0)), max_producers_(max_producers) {}

double PublishRate::refilled(const Bucket& bucket, Clock::time_point now) const {
  const std::chrono::duration<double> elapsed = now - bucket.at;
  return std::min(burst_, bucket.tokens + std::max(0.0, elapsed.count()) * rate_);
}

void PublishRate::forget_full(Clock::time_point now) {
  std::erase_if(buckets_, [&](const auto& entry) { return refilled(entry.second, now) >= burst_; });
}

PublishRate::Verdict PublishRate::take(std::string_view producer, std::size_t events,
                                       Clock::time_point now) {
  if (!enabled()) return {};
  const auto wanted = static_cast<double>(events);
  if (wanted > burst_) return {false, std::chrono::seconds(0), true};
  auto it = buckets_.find(std::string(producer));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_producers_) forget_full(now);
    // Still full of producers that are all mid-burst: this one is not tracked (a new bucket
    // would be full anyway). Bounded memory matters more than one more producer's burst.
    if (buckets_.size() >= max_producers_) return {};
    it = buckets_.emplace(std::string(producer), Bucket{burst_, now}).first;
  }
  auto& bucket = it->second;
  const double tokens = refilled(bucket, now);
  if (tokens + 1e-9 < wanted) {
    const auto wait = std::ceil((wanted - tokens) / rate_);
    return {false, std::chrono::seconds(std::max<long long>(1, static_cast<long long>(wait)))};
  }
  bucket.tokens = tokens - wanted;
  bucket.at = now;
  return {};
}

}  // namespace relay::service
