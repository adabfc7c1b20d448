#pragma once
// When a replica writes its projection's checkpoint to a shared log (the Redis bus's
// snapshot, DESIGN 7): every `every` events folded, or every `interval` while anything was
// folded, whichever comes first. Pure, with time passed in.
#include <chrono>
#include <cstdint>

namespace relay::service {

class CheckpointCadence {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  CheckpointCadence(std::uint64_t every, std::chrono::seconds interval)
      : every_(every), interval_(interval) {}

  void folded(std::uint64_t events = 1) { since_ += events; }
  /// The state was replaced (a rebuild): what was folded before is not the state's any more.
  void restarted() { since_ = 0; }

  /// True when a checkpoint is due at `now`; then the next period starts. The first call
  /// starts the interval's clock.
  bool take_due(time_point now) {
    if (since_ == 0) return false;
    if (next_ == time_point{}) next_ = now + interval_;
    const bool by_count = since_ >= every_;
    const bool by_time = interval_.count() > 0 && now >= next_;
    if (!by_count && !by_time) return false;
    since_ = 0;
    next_ = now + interval_;
    return true;
  }

 private:
  std::uint64_t every_;
  std::chrono::seconds interval_;
  std::uint64_t since_ = 0;
  time_point next_{};
};

}  // namespace relay::service
