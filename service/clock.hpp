#pragma once
// Port: wall-clock time, injected so ids and envelope times are testable.
#include <cstdint>

namespace relay::service {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Milliseconds since the Unix epoch.
  [[nodiscard]] virtual std::uint64_t now_unix_ms() const = 0;
  /// Nanoseconds since the Unix epoch, for span timestamps; fakes may keep the default.
  [[nodiscard]] virtual std::uint64_t now_unix_ns() const { return now_unix_ms() * 1'000'000; }
};

}  // namespace relay::service
