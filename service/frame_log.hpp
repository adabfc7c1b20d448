#pragma once
// The relay's heart (DESIGN 3): a bounded, shared log of frames encoded once. Subscribers
// hold a cursor (a log position) instead of a queue of their own.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "domain/event_id.hpp"

namespace relay::service {

/// Positions count every frame ever appended, so they stay valid across trimming.
using LogPosition = std::uint64_t;

/// One broadcast event, encoded once, shared immutably by every write that carries it.
struct FrameEntry {
  domain::EventId id;
  std::string type;
  std::string conflation_key;  ///< Non-empty: superseded by a later entry with the same key.
  std::string worker_id;       ///< Matched by `?worker=`: the worker, or a generic event's key.
  std::shared_ptr<const std::string> frame;
  std::uint64_t bytes_through = 0;  ///< Sum of frame sizes up to and including this entry.
  std::string region;  ///< The worker's region (a token may restrict by it); empty when none.
};

/// A ring of the newest entries, at most `capacity` of them and at most `max_bytes` of
/// frames (trimmed by whichever bound is hit first; the newest entry always stays), with
/// positions and cumulative byte offsets.
class FrameLog {
 public:
  explicit FrameLog(std::size_t capacity, std::uint64_t max_bytes = UINT64_MAX);

  /// Appends (dropping the oldest entries past either bound) and returns the new entry's
  /// position.
  LogPosition append(domain::EventId id, std::string type, std::string conflation_key,
                     std::string worker_id, std::shared_ptr<const std::string> frame,
                     std::string region = {});

  /// Drops every entry (the log it mirrored is gone). Positions go on from where they were,
  /// so a cursor from before stays comparable: it is simply behind the log.
  void clear() {
    first_position_ += entries_.size();
    entries_.clear();
  }

  [[nodiscard]] LogPosition begin_position() const { return first_position_; }
  [[nodiscard]] LogPosition end_position() const { return first_position_ + entries_.size(); }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  [[nodiscard]] std::uint64_t max_bytes() const { return max_bytes_; }
  /// True once any entry has been dropped: an id older than the oldest is then "too old".
  [[nodiscard]] bool has_trimmed() const { return first_position_ > 0; }

  /// The entry at `position`; requires begin_position() <= position < end_position().
  [[nodiscard]] const FrameEntry& at(LogPosition position) const;
  [[nodiscard]] const FrameEntry& oldest() const { return entries_.front(); }
  [[nodiscard]] const FrameEntry& newest() const { return entries_.back(); }

  /// Bytes appended before `position` (for position >= begin_position()); the difference
  /// of two such values is what a subscriber between them has yet to receive.
  [[nodiscard]] std::uint64_t bytes_before(LogPosition position) const;
  /// Bytes ever appended.
  [[nodiscard]] std::uint64_t total_bytes() const { return total_bytes_; }
  /// Bytes of the retained frames (what the log costs in memory, payload only).
  [[nodiscard]] std::uint64_t retained_bytes() const;

  /// Position of the entry with exactly `id`, if retained (binary search: ids increase).
  [[nodiscard]] std::optional<LogPosition> find(domain::EventId id) const;

 private:
  std::size_t capacity_;
  std::uint64_t max_bytes_;
  std::deque<FrameEntry> entries_;
  LogPosition first_position_ = 0;
  std::uint64_t total_bytes_ = 0;
};

}  // namespace relay::service
