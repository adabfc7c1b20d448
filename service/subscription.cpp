#include "service/subscription.hpp"

#include "service/batch_planner.hpp"
#include "service/sse_event_relay.hpp"

namespace relay::service {

Subscription::Subscription(SseEventRelay& relay, std::string client_id, SubscriptionFilter filter,
                           LogPosition cursor, std::string preamble)
    : relay_(relay),
      client_id_(std::move(client_id)),
      filter_(std::move(filter)),
      cursor_(cursor),
      acknowledged_(cursor),
      preamble_(std::make_shared<const std::string>(std::move(preamble))),
      heartbeat_(relay.config().heartbeat, HeartbeatSchedule::clock::now()) {}

Subscription::~Subscription() { relay_.remove(*this); }

OutgoingBatch Subscription::next_batch() {
  OutgoingBatch batch;
  if (evicted_ || finished_) return batch;
  if (preamble_) {
    batch.bytes += preamble_->size();
    batch.frames.push_back(std::move(preamble_));
    preamble_.reset();
  }
  const FrameLog& log = relay_.log();
  if (cursor_ < log.begin_position()) {
    relay_.evict(*this, EvictionReason::lagging);
    return {};
  }
  if (batch.frames.empty() && !behind_ && filter_.matches_everything()) {
    // The common case under load: the same range every parked subscriber takes, built
    // once per sweep; no planning, one buffer.
    if (const auto* range = relay_.shared_range(cursor_)) {
      batch.frames.push_back(range->bytes);
      batch.event_frames = range->frames;
      batch.bytes = range->bytes->size();
      cursor_ = range->to;
      relay_.begin_write(*this);
      return batch;
    }
  }
  const auto plan =
      plan_batch(log, cursor_, filter_,
                 {relay_.config().batch_max_frames, relay_.config().batch_max_bytes}, behind_);
  for (auto position : plan.positions) batch.frames.push_back(log.at(position).frame);
  batch.event_frames = plan.positions.size();
  batch.bytes += plan.bytes;
  cursor_ = plan.next_cursor;
  batch.capped = cursor_ < log.end_position();
  behind_ = batch.capped;
  relay_.count_conflated(plan.conflated);

  if (batch.event_frames == 0 && cursor_ == log.end_position()) {
    if (relay_.stopping()) {
      auto frame = relay_.shutdown_frame();
      batch.bytes += frame->size();
      batch.frames.push_back(std::move(frame));
      batch.closes_stream = true;
      finished_ = true;
    } else if (batch.empty() && heartbeat_.due(HeartbeatSchedule::clock::now())) {
      auto frame = relay_.heartbeat_frame();
      batch.bytes += frame->size();
      batch.frames.push_back(std::move(frame));
    }
  }
  if (batch.empty()) {
    acknowledged_ = cursor_;  // Everything taken was filtered out: nothing is in flight.
  } else {
    relay_.begin_write(*this);
  }
  return batch;
}

bool Subscription::batch_written(const OutgoingBatch& batch) {
  relay_.end_write(*this);
  acknowledged_ = cursor_;
  heartbeat_.on_write(HeartbeatSchedule::clock::now());
  relay_.count_written(batch);
  if (evicted_ || finished_ || batch.closes_stream) return false;
  if (batch.capped || relay_.stopping()) return true;
  // Frames that arrived during the write: a pass is due for them (publish schedules one),
  // unless it ran while this write was in flight and so passed this subscriber by.
  if (cursor_ < relay_.log().end_position()) relay_.request_sweep();
  park();
  return false;
}

void Subscription::park() {
  if (evicted_ || finished_) return;
  parked_ = true;  // the next sweep (or tick, or stop) that has something for it wakes it
}

}  // namespace relay::service
