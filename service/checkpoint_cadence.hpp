#pragma once
// When a replica writes its projection's checkpoint to a shared log (the Redis bus's
// snapshot, DESIGN 7): every `every` events folded, or every `interval` while anything was
// folded, whichever comes first; never sooner than `spacing` after the last one (at 20k
// events/s a count of 10,000 asked for two a second, and encoding them took 4-6 % of the
// relay's CPU: issue 25). Pure, with time passed in.
#include <chrono>
#include <cstdint>

namespace relay::service {

class CheckpointCadence {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  CheckpointCadence(std::uint64_t every, std::chrono::seconds interval,
                    std::chrono::milliseconds spacing = std::chrono::milliseconds::zero())
      : every_(every), interval_(interval), spacing_(spacing) {}

  void folded(std::uint64_t events = 1) { since_ += events; }
  /// The state was replaced (a rebuild): what was folded before is not the state's any more.
  void restarted() { since_ = 0; }

  /// True when a checkpoint is due at `now`; then the next period starts. The first call
  /// starts the interval's clock.
  bool take_due(time_point now) {
    if (since_ == 0) return false;
    if (next_ == time_point{}) next_ = now + interval_;
    const bool by_count = since_ >= every_ && (last_ == time_point{} || now >= last_ + spacing_);
    const bool by_time = interval_.count() > 0 && now >= next_;
    if (!by_count && !by_time) return false;
    since_ = 0;
    next_ = now + interval_;
    last_ = now;
    return true;
  }

 private:
  std::uint64_t every_;
  std::chrono::seconds interval_;
  std::chrono::milliseconds spacing_;
  std::uint64_t since_ = 0;
  time_point next_{};
  time_point last_{};  ///< When the last checkpoint was due.
};

}  // namespace relay::service
