#include "service/sse_event_relay.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "proto/envelope.hpp"
#include "proto/json_writer.hpp"
#include "proto/rfc3339.hpp"
#include "proto/sse_encoder.hpp"
#include "service/replay_decision.hpp"

namespace relay::service {

namespace asio = boost::asio;

SseEventRelay::SseEventRelay(asio::any_io_executor executor, RelayConfig config, const Clock& clock,
                             Logger& logger)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      clock_(clock),
      logger_(logger),
      random_(std::random_device{}()),
      log_(config_.history),
      pass_timer_(executor_),
      tick_timer_(executor_),
      drained_(executor_, asio::steady_timer::time_point::max()) {
  instance_id_ = config_.instance_id.empty() ? random_hex(12) : config_.instance_id;
}

SseEventRelay::~SseEventRelay() = default;  // the timers' destruction cancels their waits

void SseEventRelay::start() {
  logger_.info("relay started",
               {{"instance_id", instance_id_},
                {"history", static_cast<std::uint64_t>(config_.history)},
                {"heartbeat_ms", static_cast<std::int64_t>(config_.heartbeat.count())}});
}

std::variant<domain::EventId, Rejection> SseEventRelay::publish(const domain::Notification& n) {
  if (stopping_) return Rejection{503, "draining"};
  const auto now_ms = clock_.now_unix_ms();
  const auto id = ids_.next(now_ms);
  const auto id_text = id.to_string();
  const auto envelope =
      proto::encode_envelope({id, n.type, now_ms, n.subject, n.traceparent, n.data_json});
  auto frame = std::make_shared<const std::string>(proto::encode_event(id_text, n.type, envelope));
  std::string key = n.conflation_key.empty() ? std::string{} : n.type + '\n' + n.conflation_key;
  log_.append(id, n.type, std::move(key), n.worker_id, std::move(frame));

  ++stats_.events_published;
  ++stats_.events_broadcast;
  auto type_stats = stats_.per_type.find(n.type);
  if (type_stats == stats_.per_type.end()) {
    type_stats = stats_.per_type.emplace(n.type, TypeStats{}).first;
  }
  ++type_stats->second.published;

  schedule_pass();
  return id;
}

std::variant<domain::EventId, Rejection> SseEventRelay::record_silent() {
  if (stopping_) return Rejection{503, "draining"};
  static const auto no_frame = std::make_shared<const std::string>();
  const auto id = ids_.next(clock_.now_unix_ms());
  log_.append(id, {}, {}, {}, no_frame);
  ++stats_.events_silent;
  // A pass moves parked cursors past the silent entry (no bytes are written), so a run of
  // silent events longer than the log cannot leave a quiet subscriber looking "lagging";
  // it also checks writers the append may have trimmed past.
  schedule_pass();
  return id;
}

std::variant<std::unique_ptr<Subscription>, Rejection> SseEventRelay::subscribe(
    SubscribeRequest request) {
  if (stopping_) {
    ++stats_.rejected_subscriptions;
    return Rejection{503, "draining"};
  }
  if (subscribers_.size() >= config_.max_clients) {
    ++stats_.rejected_subscriptions;
    return Rejection{503, "too_many_subscribers"};
  }
  const auto decision = decide_replay(request.last_event_id, log_);
  auto client_id = random_hex(16);
  auto preamble = preamble_for(client_id, decision);
  std::unique_ptr<Subscription> sub(new Subscription(
      *this, std::move(client_id), std::move(request.filter), decision.from, std::move(preamble)));
  subscribers_.insert(sub.get());
  ++stats_.subscriptions_total;
  schedule_tick();
  if (decision.kind == ReplayDecision::Kind::resync) {
    ++stats_.resyncs;
    logger_.info("subscriber resync", {{"client_id", sub->client_id()},
                                       {"reason", decision.reason},
                                       {"last_event_id", request.last_event_id.value_or("")}});
  }
  return sub;
}

std::string SseEventRelay::preamble_for(const std::string& client_id,
                                        const ReplayDecision& decision) {
  std::string out = proto::encode_retry(static_cast<std::uint32_t>(config_.retry.count()));
  std::string connected;
  proto::JsonObjectWriter w(connected);
  w.string("client_id", client_id)
      .string("instance_id", instance_id_)
      .number("heartbeat_ms", config_.heartbeat.count())
      .string_or_null("last_event_id", log_.empty() ? std::string{} : log_.newest().id.to_string())
      .close();
  proto::append_event(out, "", "connected", connected);
  if (decision.kind == ReplayDecision::Kind::resync) {
    std::string resync;
    proto::JsonObjectWriter r(resync);
    r.string("reason", decision.reason).string_or_null("oldest_id", decision.oldest_id).close();
    proto::append_event(out, "", "system.sse.resync", resync);
  }
  return out;
}

asio::awaitable<void> SseEventRelay::stop() {
  if (stopping_) co_return;
  stopping_ = true;
  logger_.info("relay draining",
               {{"subscribers", static_cast<std::uint64_t>(subscribers_.size())},
                {"grace_ms", static_cast<std::int64_t>(config_.shutdown_grace.count())}});
  // Every subscriber flushes what it has not written yet, then gets its shutdown frame:
  // the idle ones are woken now, the others see stopping() when their write completes.
  wake_idle();

  if (!subscribers_.empty()) {
    drained_.expires_after(config_.shutdown_grace);
    co_await drained_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (!subscribers_.empty()) {
    logger_.warn("shutdown grace expired",
                 {{"subscribers", static_cast<std::uint64_t>(subscribers_.size())}});
    std::vector<Subscription*> remaining(subscribers_.begin(), subscribers_.end());
    for (auto* sub : remaining) evict(*sub, EvictionReason::shutdown_timeout);
    // Closed sockets end their sessions on the next turn of the loop; wait for that.
    drained_.expires_after(std::chrono::seconds(2));
    if (!subscribers_.empty()) co_await drained_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  // Nothing is left to wake: let io_context::run() return.
  stopped_ = true;
  pass_timer_.cancel();
  tick_timer_.cancel();
  logger_.info("relay stopped",
               {{"events_published", stats_.events_published}, {"deliveries", stats_.deliveries}});
}

namespace {

// Swap-remove from an unordered list whose members know their slot: O(1) however many
// subscribers there are.
void insert_slotted(std::vector<Subscription*>& list, Subscription& sub, std::size_t& slot) {
  if (slot != no_slot) return;
  slot = list.size();
  list.push_back(&sub);
}

template <class SlotOf>
void erase_slotted(std::vector<Subscription*>& list, std::size_t& slot, SlotOf slot_of) {
  if (slot == no_slot) return;
  list[slot] = list.back();
  slot_of(*list[slot]) = slot;
  list.pop_back();
  slot = no_slot;
}

}  // namespace

void SseEventRelay::mark_idle(Subscription& sub) { insert_slotted(idle_, sub, sub.idle_index_); }

void SseEventRelay::unmark_idle(Subscription& sub) {
  erase_slotted(idle_, sub.idle_index_, [](Subscription& s) -> auto& { return s.idle_index_; });
}

void SseEventRelay::begin_write(Subscription& sub) {
  insert_slotted(writers_, sub, sub.writing_index_);
}

void SseEventRelay::end_write(Subscription& sub) {
  erase_slotted(writers_, sub.writing_index_,
                [](Subscription& s) -> auto& { return s.writing_index_; });
}

void SseEventRelay::wake_idle(bool only_due) {
  // Sinks write (and may park again) while this runs, so walk a copy of the list.
  waking_.clear();
  if (only_due) {
    const auto now = HeartbeatSchedule::clock::now();
    for (auto* sub : idle_) {
      if (sub->heartbeat_.due(now)) waking_.push_back(sub);
    }
    for (auto* sub : waking_) unmark_idle(*sub);
  } else {
    waking_.swap(idle_);
    for (auto* sub : waking_) sub->idle_index_ = no_slot;
  }
  for (auto* sub : waking_) {
    // An earlier sink's write cannot remove a later subscriber: streams end only from
    // their own completion handlers, which never run inside this loop.
    if (sub->sink_ != nullptr) sub->sink_->wake();
  }
  waking_.clear();
}

void SseEventRelay::schedule_pass() {
  if (pass_scheduled_) return;
  pass_scheduled_ = true;
  // A pass that carried a single new entry means events arrive slower than passes run
  // (a quiet spell, or a closed loop waiting on each delivery): go at once. Under load the
  // last pass carried several, and the next one begins no sooner than flush_interval, and
  // no sooner than twice the last pass's duration, after the last one began: the events of
  // that time reach each subscriber in one write. A writev costs ~10 us of kernel time here
  // whatever it carries, so with many subscribers the interval stretches by itself, the
  // cost stays per subscriber rather than per event, and passes take at most half the
  // thread, leaving the rest to ingest.
  const auto gap = entries_in_last_pass_ <= 1
                       ? asio::steady_timer::duration::zero()
                       : std::max<asio::steady_timer::duration>(config_.flush_interval,
                                                                2 * last_pass_duration_);
  pass_timer_.expires_at(std::max(asio::steady_timer::clock_type::now(), last_pass_ + gap));
  pass_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled by stop() or the destructor: `this` may be gone
    run_pass();
  });
}

void SseEventRelay::run_pass() {
  pass_scheduled_ = false;
  last_pass_ = asio::steady_timer::clock_type::now();
  entries_in_last_pass_ = log_.end_position() - log_end_at_last_pass_;
  log_end_at_last_pass_ = log_.end_position();
  // Still writing when a pass comes: its next batch may drop superseded telemetry.
  for (auto* sub : writers_) sub->behind_ = true;
  evict_slow_writers();
  wake_idle();
  last_pass_duration_ = asio::steady_timer::clock_type::now() - last_pass_;
}

void SseEventRelay::schedule_tick() {
  if (ticking_ || stopped_ || subscribers_.empty()) return;
  ticking_ = true;
  // A quarter of the heartbeat, at most a second: heartbeats go out at most that late.
  const auto tick = std::clamp(config_.heartbeat / 4, std::chrono::milliseconds(5),
                               std::chrono::milliseconds(1000));
  tick_timer_.expires_after(tick);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled by stop() or the destructor: `this` may be gone
    ticking_ = false;
    evict_slow_writers();
    wake_idle(/*only_due=*/true);
    schedule_tick();
  });
}

void SseEventRelay::evict_slow_writers() {
  std::vector<std::pair<Subscription*, EvictionReason>> victims;
  for (auto* sub : writers_) {
    if (auto reason =
            eviction_for({sub->acknowledged_, sub->cursor_}, log_, config_.max_pending_bytes)) {
      victims.emplace_back(sub, *reason);
    }
  }
  for (auto [sub, reason] : victims) evict(*sub, reason);
}

void SseEventRelay::evict(Subscription& sub, EvictionReason reason) {
  if (sub.evicted_) return;
  sub.evicted_ = reason;
  ++stats_.evictions[static_cast<std::size_t>(reason)];
  end_write(sub);
  unmark_idle(sub);
  logger_.warn("subscriber evicted",
               {{"client_id", sub.client_id()},
                {"reason", to_string(reason)},
                {"unsent_bytes", log_.total_bytes() - log_.bytes_before(sub.acknowledged_)}});
  if (sub.sink_ != nullptr) sub.sink_->close_now();
}

void SseEventRelay::remove(Subscription& sub) {
  end_write(sub);
  unmark_idle(sub);
  subscribers_.erase(&sub);
  if (stopping_ && subscribers_.empty()) drained_.cancel();
}

void SseEventRelay::count_written(const OutgoingBatch& batch) {
  stats_.deliveries += batch.event_frames;
  stats_.bytes_written += batch.bytes;
}

std::shared_ptr<const std::string> SseEventRelay::heartbeat_frame() {
  ++stats_.heartbeats;
  std::string data;
  proto::JsonObjectWriter(data)
      .string("time", proto::format_rfc3339_ms(clock_.now_unix_ms()))
      .close();
  return std::make_shared<const std::string>(proto::encode_event("", "heartbeat", data));
}

std::shared_ptr<const std::string> SseEventRelay::shutdown_frame() {
  // Each client hears a different delay, so a restart is not met by all of them at once;
  // the retry: line makes a plain EventSource honour it too.
  const auto jitter = config_.reconnect_jitter.count();
  const auto reconnect_ms =
      config_.retry.count() +
      (jitter > 0 ? static_cast<std::int64_t>(random_() % static_cast<std::uint64_t>(jitter + 1))
                  : 0);
  std::string data;
  proto::JsonObjectWriter(data)
      .string("reason", "shutdown")
      .number("reconnect_ms", reconnect_ms)
      .close();
  std::string out = fmt::format("retry: {}\n", reconnect_ms);
  proto::append_event(out, "", "system.sse.shutdown", data);
  return std::make_shared<const std::string>(std::move(out));
}

std::string SseEventRelay::random_hex(std::size_t digits) {
  std::string out;
  while (out.size() < digits) out += fmt::format("{:016x}", random_());
  out.resize(digits);
  return out;
}

}  // namespace relay::service
