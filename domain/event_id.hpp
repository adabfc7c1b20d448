#pragma once
// Event ids in the Redis stream id format "<ms>-<seq>": ordered by the log, so an id
// issued by one replica resumes on any other (DESIGN 4.1).
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::domain {

/// One event's position in the log: wall-clock milliseconds plus a sequence within them.
struct EventId {
  std::uint64_t ms = 0;
  std::uint64_t seq = 0;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  auto operator<=>(const EventId&) const = default;

  /// "<ms>-<seq>", the form clients echo back in Last-Event-ID.
  [[nodiscard]] std::string to_string() const;

  /// Strict parse of "<ms>-<seq>" (decimal digits only, no sign, no overflow);
  /// nullopt for anything else so a bogus Last-Event-ID can be answered with a resync.
  static std::optional<EventId> parse(std::string_view text);
};

/// Issues strictly increasing ids from a clock reading, like Redis XADD's "*":
/// a clock that stands still or steps back keeps the last ms and bumps the sequence.
class EventIdGenerator {
 public:
  /// The next id for an event appended at wall-clock `now_ms`.
  EventId next(std::uint64_t now_ms);

  /// Continue after `last` (used when a log is restored or shared).
  void resume_after(EventId last) { last_ = last; }

 private:
  EventId last_{};
};

}  // namespace relay::domain
