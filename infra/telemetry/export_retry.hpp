#pragma once
// When the OTLP exporter tries again (OTLP/HTTP specification, "Retryable response codes"):
// which answers are worth another try, what a Retry-After asks for, and how long to wait.
#include <chrono>
#include <optional>
#include <random>
#include <string_view>

namespace relay::infra {

/// 429 (throttled) and 502/503/504 (the collector, or a proxy before it, unavailable).
bool retryable_status(unsigned status);

/// A Retry-After in delta-seconds, capped at 60 s; an HTTP-date (or garbage) is ignored.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

/// The wait before the next try: a random point in [backoff/2, backoff] (full jitter, so
/// replicas that failed together do not retry together), but never less than Retry-After.
std::chrono::milliseconds retry_wait(std::chrono::milliseconds backoff,
                                     std::optional<std::chrono::milliseconds> retry_after,
                                     std::mt19937& random);

/// The backoff after one more failure: doubled, at most `max`.
inline std::chrono::milliseconds next_backoff(std::chrono::milliseconds backoff,
                                              std::chrono::milliseconds max) {
  return std::min(backoff * 2, max);
}

}  // namespace relay::infra
