#pragma once
// Port: wall-clock time, injected so ids and envelope times are testable.
#include <cstdint>

namespace relay::service {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Milliseconds since the Unix epoch.
  [[nodiscard]] virtual std::uint64_t now_unix_ms() const = 0;
};

}  // namespace relay::service
