#include "service/fanout.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relay::service {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

Fanout::Fanout(const asio::any_io_executor& executor, const RelayConfig& config,
               const FrameLog& log, RelayFrames& frames, RelayStats& stats, Logger& logger)
    : config_(config),
      log_(log),
      frames_(frames),
      stats_(stats),
      logger_(logger),
      broadcasts_(stats.broadcast_latency),
      pacer_(config.flush_interval),
      limits_{config.max_pending_bytes, config.write_timeout},
      sweep_timer_(executor),
      tick_timer_(executor),
      drained_(executor, asio::steady_timer::time_point::max()) {}

Fanout::~Fanout() = default;  // the timers' destruction cancels their waits

WriteContext Fanout::context() {
  return {log_, {config_.batch_max_frames, config_.batch_max_bytes}, draining_, frames_, shared_};
}

void Fanout::join(std::unique_ptr<Subscription> sub, SubscriberSink& sink) {
  sub->sink = &sink;
  sub->ring_index = ring_.size();
  auto& joined = *sub;
  ring_.push_back(std::move(sub));
  ++stats_.subscriptions_total;
  schedule_tick();
  serve(joined);
}

void Fanout::leave(Subscription& sub) { remove(sub, /*close_sink=*/false, false); }

void Fanout::serve(Subscription& sub) {
  // One clock reading for the whole call: every write in it happens at this moment.
  const auto now = SteadyClock::now();
  auto ctx = context();
  for (;;) {
    auto next = sub.next(ctx, now);
    switch (next.kind) {
      case Subscription::Next::Kind::park:
        return;
      case Subscription::Next::Kind::evict:
        evict(sub, next.reason);
        return;
      case Subscription::Next::Kind::write:
        break;
    }
    auto& batch = next.batch;
    stats_.conflated += batch.conflated;
    if (batch.heartbeat) ++stats_.heartbeats;
    if (batch.reauth) ++stats_.reauths;
    const WriteFigures figures{batch.event_frames, batch.bytes};
    switch (sub.sink->write(batch)) {
      case SubscriberSink::WriteStatus::failed:
        remove(sub, /*close_sink=*/true, false);
        return;
      case SubscriberSink::WriteStatus::pending:
        begin_write(sub, figures);
        return;
      case SubscriberSink::WriteStatus::complete:
        if (!after_write(sub, figures, now)) return;
        break;  // a capped replay, or flushing at stop: the next batch at once
    }
  }
}

void Fanout::write_done(Subscription& sub) {
  const auto figures =
      sub.writer_index == no_slot ? WriteFigures{} : writer_figures_[sub.writer_index];
  end_write(sub);
  if (after_write(sub, figures, SteadyClock::now())) serve(sub);
}

bool Fanout::after_write(Subscription& sub, const WriteFigures& figures, time_point now) {
  stats_.deliveries += figures.event_frames;
  stats_.bytes_written += figures.bytes;
  switch (sub.written(draining_, now)) {
    case Subscription::AfterWrite::finished:
      remove(sub, /*close_sink=*/true, /*graceful=*/true);
      return false;
    case Subscription::AfterWrite::write_again:
      return true;
    case Subscription::AfterWrite::park:
      // Frames that arrived during the write: a sweep is due for them (the append asked for
      // one), unless it ran while this write was in flight and so passed this subscriber.
      if (sub.cursor() < log_.end_position()) request_sweep();
      return false;
  }
  return false;
}

void Fanout::appended(LogPosition position, Span span) {
  broadcasts_.appended(position, SteadyClock::now(), std::move(span));
  request_sweep();
}

void Fanout::begin_write(Subscription& sub, const WriteFigures& figures) {
  if (sub.writer_index != no_slot) return;
  sub.writer_index = writers_.size();
  writers_.push_back(&sub);
  writer_figures_.push_back(figures);
}

void Fanout::end_write(Subscription& sub) {
  const auto slot = sub.writer_index;
  if (slot == no_slot) return;
  // Swap-remove: O(1) however many subscribers write at once.
  writers_[slot] = writers_.back();
  writer_figures_[slot] = writer_figures_.back();
  writers_[slot]->writer_index = slot;
  writers_.pop_back();
  writer_figures_.pop_back();
  sub.writer_index = no_slot;
}

void Fanout::evict(Subscription& sub, EvictionReason reason) {
  ++stats_.evictions[static_cast<std::size_t>(reason)];
  logger_.warn("subscriber evicted", {{"client_id", sub.client_id()},
                                      {"reason", to_string(reason)},
                                      {"unsent_bytes", sub.unsent_bytes(log_)}});
  sub.evict();
  remove(sub, /*close_sink=*/true, false);
}

void Fanout::remove(Subscription& sub, bool close_sink, bool graceful) {
  end_write(sub);
  logger_.debug("subscriber disconnected", {{"client_id", sub.client_id()}});
  auto* sink = sub.sink;
  const auto index = sub.ring_index;
  ring_[index].reset();  // `sub` is gone from here on
  ++ring_holes_;
  if (!sweep_active_ && !iterating_) compact_ring();
  if (close_sink && sink != nullptr) sink->close(graceful);
  if (size() == 0) {
    drained_.cancel();
    if (draining_) {
      // Nothing is left to wake: let io_context::run() return.
      sweep_timer_.cancel();
      tick_timer_.cancel();
    }
  }
}

void Fanout::begin_drain() {
  draining_ = true;
  wake_parked(/*only_heartbeat_due=*/false);
}

asio::awaitable<void> Fanout::drained(std::chrono::milliseconds grace) {
  if (size() == 0) co_return;
  drained_.expires_after(grace);
  co_await drained_.async_wait(asio::as_tuple(asio::use_awaitable));
}

void Fanout::close_all(EvictionReason reason) {
  std::vector<Subscription*> remaining;
  for (auto& sub : ring_) {
    if (sub) remaining.push_back(sub.get());
  }
  for (auto* sub : remaining) evict(*sub, reason);
  closed_ = true;
  sweep_timer_.cancel();
  tick_timer_.cancel();
  // No sweep will carry what is still pending: end those broadcasts with what we know.
  broadcasts_.carried(log_.end_position(), {}, SteadyClock::now());
}

void Fanout::resync_all(const std::string& reason) {
  const auto notice =
      frames_.resync(reason, log_.empty() ? std::string{} : log_.oldest().id.to_string());
  const auto end = log_.end_position();
  for (auto& sub : ring_) {
    if (sub) sub->resync(notice, end);
  }
  stats_.resyncs += size();
  // The parked write the notice now; the writing ones right after their write (written()).
  wake_parked(false);
}

void Fanout::wake_parked(bool only_heartbeat_due) {
  const auto now = SteadyClock::now();
  const auto end = log_.end_position();
  // By index, with the ring held still: subscriptions that join meanwhile are appended and
  // are served already, and ones that leave leave a hole.
  iterating_ = true;
  for (std::size_t i = 0, n = ring_.size(); i < n; ++i) {
    auto* sub = ring_[i].get();
    if (sub == nullptr) continue;
    const bool due = only_heartbeat_due
                         ? sub->wants_tick(now)
                         : sub->wants_tick(now) || sub->wants_sweep(end, now, draining_);
    if (due) serve(*sub);
  }
  iterating_ = false;
  if (!sweep_active_) compact_ring();
}

void Fanout::request_sweep() {
  if (closed_) return;
  if (sweep_active_) {
    sweep_again_ = true;  // it may have passed subscribers that now have something
    return;
  }
  if (sweep_scheduled_) return;
  sweep_scheduled_ = true;
  sweep_timer_.expires_at(pacer_.next_due(SteadyClock::now()));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled by stop or the destructor: `this` may be gone
    sweep_scheduled_ = false;
    start_sweep();
  });
}

void Fanout::start_sweep() {
  sweep_active_ = true;
  sweep_again_ = false;
  sweep_next_ = 0;
  const auto now = SteadyClock::now();
  pacer_.start(now, log_.end_position());
  sweep_base_ = {stats_.deliveries,
                 stats_.bytes_written,
                 stats_.conflated,
                 stats_.evictions_total(),
                 size(),
                 0};
  sweep_woken_ = 0;
  evict_stuck_writers(now);
  continue_sweep();
}

void Fanout::continue_sweep() {
  // A slice of the ring per turn of the loop, in the same order every sweep: ingest runs
  // between slices, and each subscriber is written once per sweep period, so that period,
  // not the wait for a sweep plus a place in it, is what bounds its latency.
  const auto end = log_.end_position();
  const auto now = SteadyClock::now();
  const auto stop_at = std::min(ring_.size(), sweep_next_ + sweep_slice);
  for (; sweep_next_ < stop_at; ++sweep_next_) {
    auto* sub = ring_[sweep_next_].get();
    if (sub == nullptr) continue;
    if (sub->state() == Subscription::State::writing) {
      sub->mark_behind();  // still writing the last sweep's batch: it is behind
    } else if (sub->wants_sweep(end, now, draining_)) {
      ++sweep_woken_;
      serve(*sub);
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
  const SweepFigures figures{stats_.deliveries - sweep_base_.deliveries,
                             stats_.bytes_written - sweep_base_.bytes,
                             stats_.conflated - sweep_base_.conflated,
                             stats_.evictions_total() - sweep_base_.evicted,
                             sweep_base_.subscribers,
                             sweep_woken_};
  broadcasts_.carried(pacer_.carried_end(), figures, SteadyClock::now());
  compact_ring();
  if (sweep_again_ || log_.end_position() > pacer_.carried_end()) request_sweep();
}

void Fanout::compact_ring() {
  // Leaving subscribers leave holes, so a sweep in progress keeps its order; close them
  // between sweeps once they are a quarter of the ring.
  if (ring_holes_ * 4 < ring_.size() && ring_holes_ < 1024) return;
  std::size_t kept = 0;
  for (auto& sub : ring_) {
    if (!sub) continue;
    sub->ring_index = kept;
    ring_[kept++] = std::move(sub);
  }
  ring_.resize(kept);
  ring_holes_ = 0;
}

void Fanout::schedule_tick() {
  if (ticking_ || closed_ || size() == 0) return;
  ticking_ = true;
  tick_timer_.expires_after(SweepPacer::tick_period(config_.heartbeat, config_.write_timeout));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled by stop or the destructor: `this` may be gone
    ticking_ = false;
    evict_stuck_writers(SteadyClock::now());
    wake_parked(/*only_heartbeat_due=*/true);
    schedule_tick();
  });
}

void Fanout::evict_stuck_writers(time_point now) {
  std::vector<std::pair<Subscription*, EvictionReason>> victims;
  for (auto* sub : writers_) {
    if (auto reason = sub->check_writer(log_, limits_, now)) victims.emplace_back(sub, *reason);
  }
  for (auto [sub, reason] : victims) evict(*sub, reason);
}

}  // namespace relay::service
