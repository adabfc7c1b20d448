#include "service/frame_log.hpp"

#include <algorithm>
#include <stdexcept>

namespace relay::service {

FrameLog::FrameLog(std::size_t capacity, std::uint64_t max_bytes)
    : capacity_(capacity), max_bytes_(max_bytes) {
  if (capacity_ == 0) throw std::invalid_argument("frame log capacity must be at least 1");
}

LogPosition FrameLog::append(domain::EventId id, std::string type, std::string conflation_key,
                             std::string worker_id, std::shared_ptr<const std::string> frame,
                             std::string region) {
  if (!entries_.empty() && !(entries_.back().id < id)) {
    throw std::logic_error("frame log ids must be strictly increasing");
  }
  total_bytes_ += frame->size();
  entries_.push_back(FrameEntry{id, std::move(type), std::move(conflation_key),
                                std::move(worker_id), std::move(frame), total_bytes_,
                                std::move(region)});
  // Trimmed by count and by bytes, whichever bound is hit: a few large events must not hold
  // the memory that many small ones would.
  while (entries_.size() > 1 && (entries_.size() > capacity_ || retained_bytes() > max_bytes_)) {
    entries_.pop_front();
    ++first_position_;
  }
  return end_position() - 1;
}

const FrameEntry& FrameLog::at(LogPosition position) const {
  return entries_[static_cast<std::size_t>(position - first_position_)];
}

std::uint64_t FrameLog::bytes_before(LogPosition position) const {
  if (position >= end_position()) return total_bytes_;
  const auto& entry = at(std::max(position, first_position_));
  return entry.bytes_through - entry.frame->size();
}

std::uint64_t FrameLog::retained_bytes() const {
  return entries_.empty() ? 0 : total_bytes_ - bytes_before(first_position_);
}

std::optional<LogPosition> FrameLog::find(domain::EventId id) const {
  auto it =
      std::lower_bound(entries_.begin(), entries_.end(), id,
                       [](const FrameEntry& e, const domain::EventId& v) { return e.id < v; });
  if (it == entries_.end() || it->id != id) return std::nullopt;
  return first_position_ + static_cast<LogPosition>(it - entries_.begin());
}

}  // namespace relay::service
