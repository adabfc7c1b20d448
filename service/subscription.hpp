#pragma once
// The relay's side of one SSE stream: a cursor into the shared log, a filter, a heartbeat
// schedule and a timer used as a condition variable. Owned by the session that writes
// the bytes; registered with the relay for exactly its lifetime.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "service/eviction_policy.hpp"
#include "service/frame_log.hpp"
#include "service/heartbeat_schedule.hpp"
#include "service/subscription_filter.hpp"

namespace relay::service {

class SseEventRelay;

/// Frames for one gathered write. Holding the shared frames keeps their bytes alive even
/// if the log trims them while the write is in flight.
struct OutgoingBatch {
  std::vector<std::shared_ptr<const std::string>> frames;
  std::size_t event_frames = 0;  ///< Frames that came from the log (deliveries).
  std::uint64_t bytes = 0;
  bool closes_stream = false;  ///< Ends with system.sse.shutdown: close after writing.

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

  /// The previous batch is fully written to the socket.
  void batch_written(const OutgoingBatch& batch);

  /// Suspends until next_batch() may have something: new frames, a heartbeat deadline,
  /// stop or eviction. Returns at once when that is already so.
  boost::asio::awaitable<void> wait();

  /// Set when the relay disconnected this subscriber.
  [[nodiscard]] std::optional<EvictionReason> eviction() const { return evicted_; }

  /// Called (once) when the relay evicts this subscriber; the session closes its socket so
  /// a write that is stuck on a full socket ends at once.
  void on_evict(std::function<void()> handler) { on_evict_ = std::move(handler); }

 private:
  friend class SseEventRelay;
  static constexpr std::size_t not_idle = static_cast<std::size_t>(-1);

  Subscription(SseEventRelay& relay, std::string client_id, SubscriptionFilter filter,
               LogPosition cursor, std::string preamble);

  SseEventRelay& relay_;
  std::string client_id_;
  SubscriptionFilter filter_;
  LogPosition cursor_;        ///< Next log position to take.
  LogPosition acknowledged_;  ///< Everything before it has been written.
  std::shared_ptr<const std::string> preamble_;
  boost::asio::steady_timer wake_;
  HeartbeatSchedule heartbeat_;
  std::size_t idle_index_ = not_idle;  ///< Slot in the relay's idle list.
  bool writing_ = false;               ///< In the relay's in-flight index.
  bool finished_ = false;              ///< Shutdown frame handed out.
  std::optional<EvictionReason> evicted_;
  std::function<void()> on_evict_;
};

}  // namespace relay::service
