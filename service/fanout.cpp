#include "service/fanout.hpp"

#include <algorithm>
#include <utility>

namespace relay::service {

namespace asio = boost::asio;

Fanout::Fanout(FanoutTimers& timers, const RelayConfig& config, const FrameLog& frame_log,
               RelayFrames& relay_frames, RelayStats& stats, Logger& logger)
    : timers_(timers),
      config_(config),
      frame_log_(frame_log),
      relay_frames_(relay_frames),
      stats_(stats),
      logger_(logger),
      broadcasts_(stats.broadcast_latency),
      pacer_(config.flush_interval),
      limits_{config.max_pending_bytes, config.write_timeout} {
  timers_.attach(*this);
}

Fanout::~Fanout() { timers_.cancel(); }

WriteContext Fanout::context() {
  return {frame_log_, {config_.batch_max_frames, config_.batch_max_bytes}, draining_, relay_frames_, shared_};
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
  const auto now = timers_.now();
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
  if (after_write(sub, figures, timers_.now())) serve(sub);
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
      if (sub.cursor() < frame_log_.end_position()) request_sweep();
      return false;
  }
  return false;
}

void Fanout::appended(LogPosition position, Span span) {
  broadcasts_.appended(position, timers_.now(), std::move(span));
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
                                      {"unsent_bytes", sub.unsent_bytes(frame_log_)}});
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
    timers_.drained();
    if (draining_) timers_.cancel();  // nothing is left to wake: let io_context::run() return
  }
}

void Fanout::begin_drain() {
  draining_ = true;
  wake_parked(/*only_heartbeat_due=*/false, timers_.now());
}

asio::awaitable<void> Fanout::drained(std::chrono::milliseconds grace) {
  if (size() == 0) co_return;
  co_await timers_.drain_wait(grace);
}

void Fanout::close_all(EvictionReason reason) {
  std::vector<Subscription*> remaining;
  for (auto& sub : ring_) {
    if (sub) remaining.push_back(sub.get());
  }
  for (auto* sub : remaining) evict(*sub, reason);
  closed_ = true;
  timers_.cancel();
  // No sweep will carry what is still pending: end those broadcasts with what we know.
  broadcasts_.carried(frame_log_.end_position(), {}, timers_.now());
}

bool Fanout::close_stream(std::string_view client_id) {
  for (auto& sub : ring_) {
    if (sub && sub->client_id() == client_id) {
      sub->evict();  // no further batch; not counted as an eviction (the operator chose it)
      remove(*sub, /*close_sink=*/true, /*graceful=*/true);
      return true;
    }
  }
  return false;
}

std::size_t Fanout::revoke_subject(std::string_view subject) {
  if (subject.empty()) return 0;  // streams without a token have no subject to revoke
  const auto now = timers_.now();
  std::vector<Subscription*> revoked;
  for (auto& sub : ring_) {
    const auto* held = sub ? sub->identity().subject.get() : nullptr;
    if (held != nullptr && sub->state() != Subscription::State::done && *held == subject) {
      sub->revoke(now);
      revoked.push_back(sub.get());
    }
  }
  // A parked one writes its reauth frame now; a writing one right after its write.
  for (auto* sub : revoked) {
    if (sub->state() == Subscription::State::parked) serve(*sub);
  }
  return revoked.size();
}

void Fanout::resync_all(const std::string& reason) {
  const auto notice =
      relay_frames_.resync(reason, frame_log_.empty() ? std::string{} : frame_log_.oldest().id.to_string());
  const auto end = frame_log_.end_position();
  for (auto& sub : ring_) {
    if (sub) sub->resync(notice, end);
  }
  stats_.count_resyncs(reason, size());
  // The parked write the notice now; the writing ones right after their write (written()).
  wake_parked(false, timers_.now());
}

void Fanout::wake_parked(bool only_heartbeat_due, time_point now) {
  const auto end = frame_log_.end_position();
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
  timers_.sweep_at(pacer_.next_due(timers_.now()));
}

void Fanout::sweep(time_point now) {
  sweep_scheduled_ = false;
  sweep_active_ = true;
  sweep_again_ = false;
  sweep_next_ = 0;
  pacer_.start(now, frame_log_.end_position());
  sweep_base_ = {stats_.deliveries,
                 stats_.bytes_written,
                 stats_.conflated,
                 stats_.evictions_total(),
                 size(),
                 0};
  sweep_woken_ = 0;
  evict_stuck_writers(now);
  sweep_slice(now);
}

void Fanout::sweep_slice(time_point now) {
  // A slice of the ring per turn of the loop, in the same order every sweep: ingest runs
  // between slices, and each subscriber is written once per sweep period, so that period,
  // not the wait for a sweep plus a place in it, is what bounds its latency.
  const auto end = frame_log_.end_position();
  const auto stop_at = std::min(ring_.size(), sweep_next_ + slice_size);
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
    timers_.next_slice();
    return;
  }
  sweep_active_ = false;
  const SweepFigures figures{stats_.deliveries - sweep_base_.deliveries,
                             stats_.bytes_written - sweep_base_.bytes,
                             stats_.conflated - sweep_base_.conflated,
                             stats_.evictions_total() - sweep_base_.evicted,
                             sweep_base_.subscribers,
                             sweep_woken_};
  // Carried when the last slice is written: its latency includes the whole sweep.
  broadcasts_.carried(pacer_.carried_end(), figures, timers_.now());
  compact_ring();
  if (sweep_again_ || frame_log_.end_position() > pacer_.carried_end()) request_sweep();
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
  timers_.tick_at(timers_.now() +
                  SweepPacer::tick_period(config_.heartbeat, config_.write_timeout));
}

void Fanout::tick(time_point now) {
  ticking_ = false;
  evict_stuck_writers(now);
  wake_parked(/*only_heartbeat_due=*/true, now);
  schedule_tick();
}

void Fanout::evict_stuck_writers(time_point now) {
  std::vector<std::pair<Subscription*, EvictionReason>> victims;
  for (auto* sub : writers_) {
    if (auto reason = sub->check_writer(frame_log_, limits_, now)) victims.emplace_back(sub, *reason);
  }
  for (auto [sub, reason] : victims) evict(*sub, reason);
}

}  // namespace relay::service
