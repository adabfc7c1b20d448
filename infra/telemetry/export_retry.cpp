#include "infra/telemetry/export_retry.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace relay::infra {

bool retryable_status(unsigned status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) {
  unsigned seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
    return std::nullopt;  // an HTTP-date, or not a number
  }
  return std::chrono::seconds(std::min(seconds, 60U));
}

std::chrono::milliseconds retry_wait(std::chrono::milliseconds backoff,
                                     std::optional<std::chrono::milliseconds> retry_after,
                                     std::mt19937& random) {
  auto wait = std::chrono::milliseconds(
      std::uniform_int_distribution<std::int64_t>(backoff.count() / 2, backoff.count())(random));
  if (retry_after) wait = std::max(wait, *retry_after);
  return wait;
}

}  // namespace relay::infra
