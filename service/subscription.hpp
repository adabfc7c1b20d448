#pragma once
// One subscriber as a sans-io state machine (STYLE "own code" 1, after boostorg/redis's
// writer_fsm): a cursor into the shared frame log, a filter, a heartbeat schedule and the
// write in flight. It takes time as an argument and answers with what to do next; it never
// touches a socket, a timer or the fan-out. The fan-out owns it and acts on the answers;
// infra's SseStream moves the bytes.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/batch_planner.hpp"
#include "service/eviction_policy.hpp"
#include "service/frame_log.hpp"
#include "service/heartbeat_schedule.hpp"
#include "service/relay_frames.hpp"
#include "service/shared_range.hpp"
#include "service/subscription_filter.hpp"

namespace relay::service {

class SubscriberSink;

/// A subscription's slot index when it is not in one of the fan-out's lists.
inline constexpr std::size_t no_slot = static_cast<std::size_t>(-1);

/// Frames for one gathered write. Holding the shared frames keeps their bytes alive even
/// if the log trims them while the write is in flight.
struct OutgoingBatch {
  std::vector<std::shared_ptr<const std::string>> frames;
  std::size_t event_frames = 0;  ///< Frames that came from the log (deliveries).
  std::uint64_t bytes = 0;
  std::size_t conflated = 0;   ///< Superseded entries left out of this batch.
  bool heartbeat = false;      ///< Carries a heartbeat event.
  bool reauth = false;         ///< Carries system.sse.reauth: the token ran out.
  bool closes_stream = false;  ///< Ends with system.sse.shutdown or .reauth: close after writing.
  bool capped = false;         ///< Hit the batch limits: more log frames are waiting.

  [[nodiscard]] bool empty() const { return frames.empty(); }
};

/// What a subscription needs from its surroundings to plan a write.
struct WriteContext {
  const FrameLog& log;
  BatchLimits limits;
  bool stopping = false;  ///< The relay drains: flush, then the shutdown frame.
  RelayFrames& frames;
  SharedRangeCache& shared;
};

/// Who holds a stream, for an operator (the admin routes list it and close by it): set once
/// at subscribe, never read on the hot path. Compact, because every idle subscriber carries
/// one: 32 bytes (two strings would be 64 and push the subscription into a larger malloc
/// size class: +20 % memory per idle subscriber, measured).
struct SubscriberIdentity {
  /// The token's `sub`; null without a token (most streams: no allocation).
  std::unique_ptr<const std::string> subject;
  std::int64_t connected_unix_ms = 0;  ///< When the stream was admitted (wall clock).
  /// The client's address (after trusted proxies) as IPv6 bytes, IPv4 mapped
  /// (::ffff:a.b.c.d); all zero when it is not an IP address (the relay's own demo).
  std::array<std::uint8_t, 16> address{};

  /// `address` as text ("10.0.0.7", "2001:db8::1"; "" when unknown).
  [[nodiscard]] std::string address_text() const;
  /// Parses an address's text into `address` (left zero when it is not one).
  void set_address(std::string_view text);
};

class Subscription {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  enum class State {
    ready,    ///< May be asked for its next batch.
    parked,   ///< Had nothing to write; a sweep, tick or stop wakes it.
    writing,  ///< A batch is out; written() reports its completion.
    done,     ///< Finished (shutdown frame written) or evicted: nothing more.
  };

  /// The answer to next().
  struct Next {
    enum class Kind { write, park, evict } kind = Kind::park;
    OutgoingBatch batch;                              ///< kind == write
    EvictionReason reason = EvictionReason::lagging;  ///< kind == evict
  };

  /// The answer to written().
  enum class AfterWrite {
    write_again,  ///< A capped replay, or flushing at stop: ask next() at once.
    park,         ///< Wait for the next sweep, which carries what arrived meanwhile.
    finished,     ///< The shutdown frame went out: close the stream.
  };

  Subscription(std::string client_id, SubscriptionFilter filter, LogPosition cursor,
               std::string preamble, std::chrono::milliseconds heartbeat, time_point now);
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  [[nodiscard]] const std::string& client_id() const { return client_id_; }
  [[nodiscard]] const SubscriberIdentity& identity() const { return identity_; }
  void identify(SubscriberIdentity identity) { identity_ = std::move(identity); }
  /// What it asked for (narrowed to its grant); null: everything.
  [[nodiscard]] const SubscriptionFilter* filter() const { return filter_.get(); }
  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] LogPosition cursor() const { return cursor_; }

  /// What to write now (state ready or parked): the stream preamble, then log frames after
  /// the cursor (filtered, conflated when behind, capped), else a due heartbeat, else, when
  /// stopping, the shutdown frame; once expired, only the reauth frame. `evict` when its
  /// next entry was trimmed away.
  Next next(WriteContext& ctx, time_point now);

  /// The batch next() handed out is fully written.
  AfterWrite written(bool stopping, time_point now);

  /// A parked subscription a broadcast sweep must serve: frames past its cursor, a resync
  /// notice, its expiry, or the stop.
  [[nodiscard]] bool wants_sweep(LogPosition log_end, time_point now, bool stopping) const;
  /// A parked subscription the fan-out's tick must serve: a due heartbeat, a resync notice
  /// or its expiry (frames are the sweeps' job).
  [[nodiscard]] bool wants_tick(time_point now) const;

  /// For a subscription whose write is in flight: must it go (slow, lagging, stuck)?
  [[nodiscard]] std::optional<EvictionReason> check_writer(const FrameLog& log,
                                                           const EvictionLimits& limits,
                                                           time_point now) const;

  /// The log it followed was rebuilt: `notice` (system.sse.resync) goes out next, after what
  /// is being written and any preamble not yet sent, and the cursor moves to `end`.
  void resync(std::shared_ptr<const std::string> notice, LogPosition end);

  /// The subscriber's token stops being accepted at `at`: from then on it gets
  /// system.sse.reauth instead of more frames, and the stream closes. Nothing is lost: the
  /// client resumes from its last id with a fresh token.
  void expire_at(time_point at) { expires_ = at; }
  /// The steady-clock moment of a wall-clock expiry: `expires_unix_ms` seen at `now`, which
  /// is `now_unix_ms` on the wall clock. Saturating: a token valid for longer than the steady
  /// clock can count (an exp in the year 9999) is valid until the stream ends, not expired
  /// at once by an overflow.
  static time_point steady_expiry(time_point now, std::int64_t now_unix_ms,
                                  std::int64_t expires_unix_ms) {
    if (expires_unix_ms <= now_unix_ms) return now;
    // Both sides are wall-clock milliseconds since 1970: the difference fits when now is
    // after 1970, and a clock set before it counts from 0.
    const auto left = expires_unix_ms - std::max<std::int64_t>(now_unix_ms, 0);
    const auto room =
        std::chrono::duration_cast<std::chrono::milliseconds>(time_point::max() - now).count();
    if (left >= room) return time_point::max();
    return now + std::chrono::milliseconds(left);
  }
  [[nodiscard]] bool expired(time_point now) const { return now >= expires_; }

  /// An operator revoked its token before `exp`: from `now` on it gets system.sse.reauth
  /// {"reason":"revoked"} (after the write in flight, if any) and the stream closes.
  void revoke(time_point now) {
    expires_ = std::min(expires_, now);
    revoked_ = true;
  }

  /// A sweep found it still writing: it is behind, so its next batch conflates.
  void mark_behind() { behind_ = true; }

  /// The relay disconnected it (stops every further batch).
  void evict() { state_ = State::done; }

  /// Bytes the log holds that this subscriber has not been written yet.
  [[nodiscard]] std::uint64_t unsent_bytes(const FrameLog& log) const;

  /// The fan-out's bookkeeping: the transport, and this subscription's places in its lists.
  SubscriberSink* sink = nullptr;
  std::size_t ring_index = no_slot;
  std::size_t writer_index = no_slot;

 private:
  std::string client_id_;
  /// Null for a subscriber that takes everything (the common case): an idle subscription
  /// then costs a pointer, not four empty lists (DESIGN 3's per-subscriber memory).
  std::unique_ptr<const SubscriptionFilter> filter_;
  LogPosition cursor_;        ///< Next log position to take.
  LogPosition acknowledged_;  ///< Everything before it has been written.
  std::shared_ptr<const std::string> preamble_;
  HeartbeatSchedule heartbeat_;
  time_point write_started_{};
  time_point expires_ = time_point::max();
  State state_ = State::ready;
  bool closes_after_write_ = false;  ///< The write in flight ends with the shutdown frame.
  bool capped_write_ = false;        ///< The write in flight hit the batch limits.
  bool revoked_ = false;             ///< revoke(): the reauth frame says "revoked".
  /// Behind: a broadcast sweep found this subscriber still writing (or it is replaying).
  /// Only then do superseded conflatable entries drop: one that keeps up gets every
  /// event, even when pacing puts several in one write.
  bool behind_ = true;

  /// Cold: read only by the operator's listing, so kept after everything a write touches.
  SubscriberIdentity identity_;

  /// Hands `out` (a non-empty batch) to the transport: the state becomes writing.
  Next start_write(Next out, time_point now);
};

}  // namespace relay::service
