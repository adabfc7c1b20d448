#pragma once
// The relay's side of one SSE stream: a cursor into the shared log, a filter and a heartbeat
// schedule. No timer, no coroutine: an idle subscriber is a few hundred bytes, woken through
// its SubscriberSink by the relay's broadcast sweep or heartbeat tick. Owned by the stream
// that writes the bytes; registered with the relay for exactly its lifetime.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/eviction_policy.hpp"
#include "service/frame_log.hpp"
#include "service/heartbeat_schedule.hpp"
#include "service/subscriber_sink.hpp"
#include "service/subscription_filter.hpp"

namespace relay::service {

class SseEventRelay;

/// A subscription's slot index when it is not in one of the relay's lists.
inline constexpr std::size_t no_slot = static_cast<std::size_t>(-1);

/// Frames for one gathered write. Holding the shared frames keeps their bytes alive even
/// if the log trims them while the write is in flight.
struct OutgoingBatch {
  std::vector<std::shared_ptr<const std::string>> frames;
  std::size_t event_frames = 0;  ///< Frames that came from the log (deliveries).
  std::uint64_t bytes = 0;
  bool closes_stream = false;  ///< Ends with system.sse.shutdown: close after writing.
  bool capped = false;         ///< Hit the batch limits: more log frames are waiting.

  [[nodiscard]] bool empty() const { return frames.empty(); }
};

class Subscription {
 public:
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();

  [[nodiscard]] const std::string& client_id() const { return client_id_; }

  /// What to write now: the stream preamble, then log frames after the cursor (filtered,
  /// conflated, capped), else a due heartbeat, else, when the relay stops, the shutdown
  /// frame. Empty when there is nothing to write yet, or after eviction.
  OutgoingBatch next_batch();

  /// The previous batch is fully written. Returns true when the sink should write again at
  /// once: a capped batch of a long replay, or flushing at stop. Otherwise the subscription
  /// is parked until the next broadcast sweep, which carries everything that arrived during
  /// the write in one batch: writing again from each completion instead would spend a
  /// syscall on every event that happened to land mid-write.
  bool batch_written(const OutgoingBatch& batch);

  /// Connects the transport the relay wakes and, on eviction, closes.
  void attach(SubscriberSink& sink) { sink_ = &sink; }

  /// next_batch() came back empty: the relay calls the sink's wake() when there is
  /// something (frames, a due heartbeat, stop). Does nothing once evicted or finished.
  void park();

  /// Set when the relay disconnected this subscriber.
  [[nodiscard]] std::optional<EvictionReason> eviction() const { return evicted_; }

 private:
  friend class SseEventRelay;

  Subscription(SseEventRelay& relay, std::string client_id, SubscriptionFilter filter,
               LogPosition cursor, std::string preamble);

  SseEventRelay& relay_;
  std::string client_id_;
  SubscriptionFilter filter_;
  LogPosition cursor_;        ///< Next log position to take.
  LogPosition acknowledged_;  ///< Everything before it has been written.
  std::shared_ptr<const std::string> preamble_;
  HeartbeatSchedule heartbeat_;
  SubscriberSink* sink_ = nullptr;
  std::size_t ring_index_ = no_slot;     ///< Place in the relay's sweep order.
  std::size_t writing_index_ = no_slot;  ///< Slot in the relay's list of writers.
  bool parked_ = false;                  ///< Nothing to write: waits for a sweep.
  bool finished_ = false;                ///< Shutdown frame handed out.
  /// Behind: a broadcast sweep found this subscriber still writing (or it is replaying).
  /// Only then do superseded conflatable entries drop: one that keeps up gets every
  /// event, even when pacing puts several in one write.
  bool behind_ = true;
  std::optional<EvictionReason> evicted_;
};

}  // namespace relay::service
