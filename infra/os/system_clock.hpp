#pragma once
// The real wall clock behind the service's Clock port.
#include <chrono>

#include "service/clock.hpp"

namespace relay::infra {

class SystemClock final : public service::Clock {
 public:
  [[nodiscard]] std::uint64_t now_unix_ms() const override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  }
  [[nodiscard]] std::uint64_t now_unix_ns() const override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  }
};

}  // namespace relay::infra
