#include "service/shared_range.hpp"

namespace relay::service {

const SharedRange* SharedRangeCache::get(const FrameLog& log, LogPosition from,
                                         const BatchLimits& limits) {
  const auto to = log.end_position();
  if (last_.from != from || last_.to != to) {
    last_ = {from, to, 0, nullptr};
    std::string bytes;
    std::size_t frames = 0;
    for (auto position = from; position < to; ++position) {
      const auto& frame = *log.at(position).frame;
      if (frame.empty()) continue;  // silent entries hold a position, no bytes
      if (++frames > limits.max_frames || bytes.size() + frame.size() > limits.max_bytes) {
        return nullptr;  // remembered as not shareable until the log moves
      }
      bytes += frame;
    }
    if (frames == 0) return nullptr;
    last_.frames = frames;
    last_.bytes = std::make_shared<const std::string>(std::move(bytes));
  }
  return last_.bytes ? &last_ : nullptr;
}

}  // namespace relay::service
