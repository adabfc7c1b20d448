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
                             Logger& logger, Tracer& tracer)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      clock_(clock),
      logger_(logger),
      tracer_(tracer),
      random_(std::random_device{}()),
      log_(config_.history),
      sweep_timer_(executor_),
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
  Span span;
  std::string traceparent;
  if (tracer_.enabled()) {
    SpanParent parent{proto::parse_traceparent(n.traceparent), n.tracestate};
    span = tracer_.start_span(fmt::format("sse.broadcast {}", n.type), proto::SpanKind::producer,
                              parent);
    traceparent = span.traceparent();
    span.set("messaging.system", "sse")
        .set("messaging.operation.type", "publish")
        .set("messaging.destination.name", "/api/events/stream")
        .set("messaging.message.id", id_text)
        .set("sse.event.type", n.type);
    if (!n.worker_id.empty()) span.set("relay.worker_id", n.worker_id);
  }
  const auto envelope =
      proto::encode_envelope({id, n.type, now_ms, n.subject,
                              tracer_.enabled() ? traceparent : n.traceparent, n.data_json});
  auto frame = std::make_shared<const std::string>(proto::encode_event(id_text, n.type, envelope));
  std::string key = n.conflation_key.empty() ? std::string{} : n.type + '\n' + n.conflation_key;
  log_.append(id, n.type, std::move(key), n.worker_id, std::move(frame));
  pending_.push_back(
      {log_.end_position() - 1, asio::steady_timer::clock_type::now(), std::move(span)});

  ++stats_.events_published;
  ++stats_.events_broadcast;
  auto type_stats = stats_.per_type.find(n.type);
  if (type_stats == stats_.per_type.end()) {
    type_stats = stats_.per_type.emplace(n.type, TypeStats{}).first;
  }
  ++type_stats->second.published;

  request_sweep();
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
  request_sweep();
  return id;
}

std::variant<std::unique_ptr<Subscription>, Rejection> SseEventRelay::subscribe(
    SubscribeRequest request) {
  if (stopping_) {
    ++stats_.rejected_subscriptions;
    return Rejection{503, "draining"};
  }
  if (subscriber_count() >= config_.max_clients) {
    ++stats_.rejected_subscriptions;
    return Rejection{503, "too_many_subscribers"};
  }
  const auto decision = decide_replay(request.last_event_id, log_);
  auto client_id = random_hex(16);
  auto preamble = preamble_for(client_id, decision);
  std::unique_ptr<Subscription> sub(new Subscription(
      *this, std::move(client_id), std::move(request.filter), decision.from, std::move(preamble)));
  sub->ring_index_ = ring_.size();
  ring_.push_back(sub.get());
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
  auto span = tracer_.start_span("sse.shutdown", proto::SpanKind::internal);
  const auto trace_id = span.trace_id_hex();
  span.set("sse.subscribers", static_cast<std::uint64_t>(subscriber_count()))
      .set("sse.shutdown.grace_ms", static_cast<std::int64_t>(config_.shutdown_grace.count()))
      .set("sse.shutdown.reconnect_ms", static_cast<std::int64_t>(config_.retry.count()));
  const auto evictions_before = stats_.evictions_total();
  logger_.info("relay draining",
               {{"subscribers", static_cast<std::uint64_t>(subscriber_count())},
                {"grace_ms", static_cast<std::int64_t>(config_.shutdown_grace.count())}},
               trace_id);
  // Every subscriber flushes what it has not written yet, then gets its shutdown frame:
  // the parked ones are woken now, the others see stopping() when their write completes.
  wake_parked(/*only_heartbeat_due=*/false);

  if (subscriber_count() > 0) {
    drained_.expires_after(config_.shutdown_grace);
    co_await drained_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  span.set("sse.shutdown.drained", subscriber_count() == 0);
  if (subscriber_count() > 0) {
    logger_.warn("shutdown grace expired",
                 {{"subscribers", static_cast<std::uint64_t>(subscriber_count())}}, trace_id);
    std::vector<Subscription*> remaining;
    for (auto* sub : ring_) {
      if (sub != nullptr) remaining.push_back(sub);
    }
    for (auto* sub : remaining) evict(*sub, EvictionReason::shutdown_timeout);
    // Closed sockets end their sessions on the next turn of the loop; wait for that.
    drained_.expires_after(std::chrono::seconds(2));
    if (subscriber_count() > 0) co_await drained_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  // Nothing is left to wake: let io_context::run() return.
  stopped_ = true;
  sweep_timer_.cancel();
  tick_timer_.cancel();
  finish_broadcasts(log_.end_position());  // no sweep will carry them now
  span.set("sse.evicted", stats_.evictions_total() - evictions_before);
  span.end();
  logger_.info("relay stopped",
               {{"events_published", stats_.events_published}, {"deliveries", stats_.deliveries}},
               trace_id);
}

void SseEventRelay::begin_write(Subscription& sub) {
  if (sub.writing_index_ != no_slot) return;
  sub.writing_index_ = writers_.size();
  writers_.push_back(&sub);
}

void SseEventRelay::end_write(Subscription& sub) {
  const auto slot = sub.writing_index_;
  if (slot == no_slot) return;
  // Swap-remove: O(1) however many subscribers write at once.
  writers_[slot] = writers_.back();
  writers_[slot]->writing_index_ = slot;
  writers_.pop_back();
  sub.writing_index_ = no_slot;
}

void SseEventRelay::wake(Subscription& sub) {
  sub.parked_ = false;
  // The sink may write, park again, or be evicted inside this call; it is never destroyed
  // inside it (streams end from their own completion handlers), so the ring stays valid.
  if (sub.sink_ != nullptr) sub.sink_->wake();
}

void SseEventRelay::wake_parked(bool only_heartbeat_due) {
  const auto now = HeartbeatSchedule::clock::now();
  // By index: subscriptions that start meanwhile are appended and are awake already.
  for (std::size_t i = 0, n = ring_.size(); i < n; ++i) {
    auto* sub = ring_[i];
    if (sub == nullptr || !sub->parked_) continue;
    if (only_heartbeat_due && !sub->heartbeat_.due(now)) continue;
    wake(*sub);
  }
}

void SseEventRelay::request_sweep() {
  if (sweep_active_) {
    sweep_again_ = true;  // it may have passed subscribers that now have something
    return;
  }
  if (sweep_scheduled_) return;
  sweep_scheduled_ = true;
  // A sweep that carried a single new entry means events come slower than sweeps run (a
  // quiet spell, or a closed loop waiting on each delivery): go at once. Under load, no
  // sooner than flush_interval after the last one began, so the events of that time reach
  // each subscriber in one write. With many subscribers a sweep takes longer than that and
  // the next follows it directly: each subscriber is written once per sweep, whatever the
  // sweep carries, so the cost is per subscriber, not per event.
  const auto due = entries_in_last_sweep_ <= 1 ? asio::steady_timer::clock_type::now()
                                               : last_sweep_start_ + config_.flush_interval;
  sweep_timer_.expires_at(std::max(asio::steady_timer::clock_type::now(), due));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled by stop() or the destructor: `this` may be gone
    sweep_scheduled_ = false;
    start_sweep();
  });
}

void SseEventRelay::start_sweep() {
  sweep_active_ = true;
  sweep_again_ = false;
  sweep_next_ = 0;
  last_sweep_start_ = asio::steady_timer::clock_type::now();
  entries_in_last_sweep_ = log_.end_position() - log_end_at_last_sweep_;
  log_end_at_last_sweep_ = log_.end_position();
  sweep_base_ = {stats_.deliveries, stats_.bytes_written, stats_.conflated,
                 stats_.evictions_total(), subscriber_count()};
  sweep_woken_ = 0;
  evict_slow_writers();
  continue_sweep();
}

void SseEventRelay::continue_sweep() {
  // A slice of the ring per turn of the loop, in the same order every sweep: ingest runs
  // between slices, and each subscriber is written once per sweep period, so that period,
  // not the wait for a sweep plus a place in it, is what bounds its latency.
  const auto end = log_.end_position();
  const auto stop_at = std::min(ring_.size(), sweep_next_ + sweep_slice);
  for (; sweep_next_ < stop_at; ++sweep_next_) {
    auto* sub = ring_[sweep_next_];
    if (sub == nullptr) continue;
    if (sub->writing_index_ != no_slot) {
      sub->behind_ = true;  // still writing the last sweep's batch: it is behind
    } else if (sub->parked_ && sub->cursor_ < end) {
      ++sweep_woken_;
      wake(*sub);
    }
  }
  if (sweep_next_ < ring_.size()) {
    sweep_timer_.expires_at(asio::steady_timer::time_point::min());
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) continue_sweep();
    });
    return;
  }
  sweep_active_ = false;
  finish_broadcasts(log_end_at_last_sweep_);
  compact_ring();
  if (sweep_again_ || log_.end_position() > log_end_at_last_sweep_) request_sweep();
}

void SseEventRelay::compact_ring() {
  // Leaving subscribers leave holes, so a sweep in progress keeps its order; close them
  // between sweeps once they are a quarter of the ring.
  if (ring_holes_ * 4 < ring_.size() && ring_holes_ < 1024) return;
  std::size_t kept = 0;
  for (auto* sub : ring_) {
    if (sub == nullptr) continue;
    sub->ring_index_ = kept;
    ring_[kept++] = sub;
  }
  ring_.resize(kept);
  ring_holes_ = 0;
}

void SseEventRelay::schedule_tick() {
  if (ticking_ || stopped_ || subscriber_count() == 0) return;
  ticking_ = true;
  // A quarter of the heartbeat, at most a second: heartbeats go out at most that late.
  const auto tick = std::clamp(config_.heartbeat / 4, std::chrono::milliseconds(5),
                               std::chrono::milliseconds(1000));
  tick_timer_.expires_after(tick);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled by stop() or the destructor: `this` may be gone
    ticking_ = false;
    evict_slow_writers();
    wake_parked(/*only_heartbeat_due=*/true);
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
  sub.parked_ = false;
  logger_.warn("subscriber evicted",
               {{"client_id", sub.client_id()},
                {"reason", to_string(reason)},
                {"unsent_bytes", log_.total_bytes() - log_.bytes_before(sub.acknowledged_)}});
  if (sub.sink_ != nullptr) sub.sink_->close_now();
}

void SseEventRelay::remove(Subscription& sub) {
  end_write(sub);
  sub.parked_ = false;
  ring_[sub.ring_index_] = nullptr;
  ++ring_holes_;
  if (!sweep_active_) compact_ring();
  if (stopping_ && subscriber_count() == 0) drained_.cancel();
}

void SseEventRelay::count_written(const OutgoingBatch& batch) {
  stats_.deliveries += batch.event_frames;
  stats_.bytes_written += batch.bytes;
}

const SseEventRelay::SharedRange* SseEventRelay::shared_range(LogPosition from) {
  const auto to = log_.end_position();
  if (shared_range_.from != from || shared_range_.to != to) {
    shared_range_ = {from, to, 0, nullptr};
    std::string bytes;
    std::size_t frames = 0;
    for (auto position = from; position < to; ++position) {
      const auto& frame = *log_.at(position).frame;
      if (frame.empty()) continue;  // silent entries hold a position, no bytes
      if (++frames > config_.batch_max_frames ||
          bytes.size() + frame.size() > config_.batch_max_bytes) {
        return nullptr;  // remembered as not shareable until the log moves
      }
      bytes += frame;
    }
    if (frames == 0) return nullptr;
    shared_range_.frames = frames;
    shared_range_.bytes = std::make_shared<const std::string>(std::move(bytes));
  }
  return shared_range_.bytes ? &shared_range_ : nullptr;
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

void SseEventRelay::finish_broadcasts(LogPosition end) {
  if (pending_.empty() || pending_.front().position >= end) return;
  const auto now = asio::steady_timer::clock_type::now();
  // One sweep carries every entry appended before it began: each of their spans reports
  // that sweep's figures (k events in one sweep repeat them k times; sse.sweep.events is k).
  const auto deliveries = stats_.deliveries - sweep_base_.deliveries;
  const auto bytes = stats_.bytes_written - sweep_base_.bytes;
  const auto conflated = stats_.conflated - sweep_base_.conflated;
  const auto evicted = stats_.evictions_total() - sweep_base_.evictions;
  std::uint64_t carried = 0;
  for (const auto& p : pending_) carried += p.position < end ? 1 : 0;
  while (!pending_.empty() && pending_.front().position < end) {
    auto& p = pending_.front();
    stats_.broadcast_latency.observe(std::chrono::duration<double>(now - p.appended).count());
    if (p.span.recording()) {
      p.span.set("sse.subscribers", static_cast<std::uint64_t>(sweep_base_.subscribers))
          .set("sse.subscribers.woken", sweep_woken_)
          .set("sse.sweep.events", carried)
          .set("sse.frames", deliveries)
          .set("sse.bytes", bytes)
          .set("sse.conflated", conflated)
          .set("sse.evicted", evicted)
          .set("messaging.batch.message_count", carried);
      p.span.end();
    }
    pending_.pop_front();
  }
}

std::string SseEventRelay::random_hex(std::size_t digits) {
  std::string out;
  while (out.size() < digits) out += fmt::format("{:016x}", random_());
  out.resize(digits);
  return out;
}

}  // namespace relay::service
