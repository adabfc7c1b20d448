#include "service/sse_event_relay.hpp"

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
      drained_(executor_, asio::steady_timer::time_point::max()) {
  instance_id_ = config_.instance_id.empty() ? random_hex(12) : config_.instance_id;
}

SseEventRelay::~SseEventRelay() = default;

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

  wake_idle();
  evict_slow_writers();
  return id;
}

std::variant<domain::EventId, Rejection> SseEventRelay::record_silent() {
  if (stopping_) return Rejection{503, "draining"};
  static const auto no_frame = std::make_shared<const std::string>();
  const auto id = ids_.next(clock_.now_unix_ms());
  log_.append(id, {}, {}, {}, no_frame);
  ++stats_.events_silent;
  evict_slow_writers();  // the append may have trimmed a lagging writer's next entry
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
  logger_.info("relay stopped",
               {{"events_published", stats_.events_published}, {"deliveries", stats_.deliveries}});
}

void SseEventRelay::mark_idle(Subscription& sub) {
  if (sub.idle_index_ != Subscription::not_idle) return;
  sub.idle_index_ = idle_.size();
  idle_.push_back(&sub);
}

void SseEventRelay::unmark_idle(Subscription& sub) {
  const auto index = sub.idle_index_;
  if (index == Subscription::not_idle) return;
  // Swap-remove keeps this O(1) however many subscribers wait.
  idle_[index] = idle_.back();
  idle_[index]->idle_index_ = index;
  idle_.pop_back();
  sub.idle_index_ = Subscription::not_idle;
}

void SseEventRelay::wake_idle() {
  for (auto* sub : idle_) {
    sub->idle_index_ = Subscription::not_idle;
    sub->wake_.cancel();
  }
  idle_.clear();
}

void SseEventRelay::begin_write(Subscription& sub) {
  writing_.emplace(sub.acknowledged_, &sub);
  sub.writing_ = true;
}

void SseEventRelay::end_write(Subscription& sub) {
  if (!sub.writing_) return;
  writing_.erase({sub.acknowledged_, &sub});
  sub.writing_ = false;
}

void SseEventRelay::evict_slow_writers() {
  std::vector<std::pair<Subscription*, EvictionReason>> victims;
  for (const auto& [acknowledged, sub] : writing_) {
    if (auto reason =
            eviction_for({sub->acknowledged_, sub->cursor_}, log_, config_.max_pending_bytes)) {
      victims.emplace_back(sub, *reason);
    } else if (acknowledged >= log_.begin_position()) {
      break;  // Everyone after this one is less behind.
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
  sub.wake_.cancel();
  logger_.warn("subscriber evicted",
               {{"client_id", sub.client_id()},
                {"reason", to_string(reason)},
                {"unsent_bytes", log_.total_bytes() - log_.bytes_before(sub.acknowledged_)}});
  if (sub.on_evict_) {
    auto handler = std::move(sub.on_evict_);
    handler();
  }
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
