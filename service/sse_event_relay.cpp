#include "service/sse_event_relay.hpp"

#include <chrono>

#include "service/asio_fanout_timers.hpp"
#include "service/replay_decision.hpp"

namespace relay::service {

namespace asio = boost::asio;

SseEventRelay::SseEventRelay(asio::any_io_executor executor, RelayConfig config, const Clock& clock,
                             Logger& logger, Tracer& tracer, FanoutTimers* timers)
    : config_(std::move(config)),
      clock_(clock),
      logger_(logger),
      tracer_(tracer),
      frame_log_(config_.history, config_.history_bytes),
      relay_frames_(clock_, {config_.retry, config_.heartbeat, config_.reconnect_jitter},
              config_.instance_id),
      own_timers_(timers != nullptr ? nullptr : std::make_unique<AsioFanoutTimers>(executor)),
      fanout_(timers != nullptr ? *timers : *own_timers_, config_, frame_log_, relay_frames_, stats_,
              logger_) {}

void SseEventRelay::start() {
  // "relay started" is the composition root's, once every listener is bound.
  logger_.debug("relay service started", {{"instance_id", instance_id()}});
}

std::variant<std::unique_ptr<Subscription>, error> SseEventRelay::subscribe(
    SubscribeRequest request) {
  if (stopping_ || subscriber_count() >= config_.max_clients) {
    ++stats_.rejected_subscriptions;
    return stopping_ ? error::draining : error::too_many_subscribers;
  }
  const auto decision = decide_replay(request.last_event_id, frame_log_);
  auto client_id = relay_frames_.random_hex(16);
  auto preamble = relay_frames_.preamble(client_id, decision,
                                   frame_log_.empty() ? std::string{} : frame_log_.newest().id.to_string());
  if (decision.kind == ReplayDecision::Kind::resync) {
    stats_.count_resyncs(decision.reason);
    logger_.info("subscriber resync", {{"client_id", client_id},
                                       {"reason", decision.reason},
                                       {"last_event_id", request.last_event_id.value_or("")}});
  }
  const auto now = std::chrono::steady_clock::now();
  auto sub = std::make_unique<Subscription>(std::move(client_id), std::move(request.filter),
                                            decision.from, std::move(preamble), config_.heartbeat,
                                            now);
  SubscriberIdentity identity;
  if (!request.subject.empty()) {
    identity.subject = std::make_unique<const std::string>(std::move(request.subject));
  }
  identity.connected_unix_ms = static_cast<std::int64_t>(clock_.now_unix_ms());
  identity.set_address(request.address);
  sub->identify(std::move(identity));
  if (request.expires_unix_ms) {
    // Token times are wall-clock; the fan-out's are steady: the remaining time carries over.
    sub->expire_at(Subscription::steady_expiry(
        now, static_cast<std::int64_t>(clock_.now_unix_ms()), *request.expires_unix_ms));
  }
  return sub;
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
  // Every subscriber flushes what it has not been written yet, then gets its shutdown
  // frame: the parked ones now, the others when their write completes.
  fanout_.begin_drain();
  co_await fanout_.drained(config_.shutdown_grace);
  span.set("sse.shutdown.drained", subscriber_count() == 0);
  if (subscriber_count() > 0) {
    logger_.warn("shutdown grace expired",
                 {{"subscribers", static_cast<std::uint64_t>(subscriber_count())}}, trace_id);
  }
  // Whoever is still writing goes now: the fan-out closes their sockets and forgets them,
  // so nothing is left on the executor to wait for.
  fanout_.close_all(EvictionReason::shutdown_timeout);
  span.set("sse.evicted", stats_.evictions_total() - evictions_before);
  span.end();
  logger_.info("relay stopped",
               {{"events_broadcast", stats_.events_broadcast}, {"deliveries", stats_.deliveries}},
               trace_id);
}

}  // namespace relay::service
