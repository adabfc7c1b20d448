#pragma once
// RELAY_PUBLISH_RATE / RELAY_PUBLISH_BURST: a token bucket per producer (its token, or its
// address when it has none). Pure: the caller passes the time, so tests need no sleeping.
// The table is bounded: a producer whose bucket has refilled is the same as a new one, so
// full buckets are forgotten when the table fills up.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace relay::service {

class PublishRate {
 public:
  using Clock = std::chrono::steady_clock;

  struct Verdict {
    bool allowed = true;
    /// When refused: how long until the request would fit (whole seconds, at least 1).
    std::chrono::seconds retry_after{0};
    /// Refused because the request alone is larger than the burst: it never fits.
    bool over_burst = false;
  };

  /// `rate`: events per second per producer, 0 = no limit; `burst`: the most events taken at
  /// once (0: one second's worth, at least 1). `max_producers` bounds the table.
  PublishRate(double rate, double burst, std::size_t max_producers = 65536);

  [[nodiscard]] bool enabled() const { return rate_ > 0; }
  [[nodiscard]] double burst() const { return burst_; }

  /// Takes `events` from the bucket of `producer` at `now`, or refuses and takes nothing.
  Verdict take(std::string_view producer, std::size_t events, Clock::time_point now);

  /// Producers remembered now (for tests and stats).
  [[nodiscard]] std::size_t producers() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  [[nodiscard]] double refilled(const Bucket& bucket, Clock::time_point now) const;
  void forget_full(Clock::time_point now);

  double rate_;
  double burst_;
  std::size_t max_producers_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace relay::service
