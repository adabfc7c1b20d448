#include "service/worker_ingest.hpp"

#include <optional>
#include <utility>

#include <fmt/format.h>

#include "domain/worker_events.hpp"
#include "proto/worker_json.hpp"

namespace relay::service {

WorkerIngest::WorkerIngest(SseEventRelay& relay, std::size_t idempotency_window)
    : relay_(relay), window_(idempotency_window) {
  // Every type is counted from zero, so a dashboard's rate() exists before the first event.
  [this]<std::size_t... I>(std::index_sequence<I...>) {
    (ingested_.emplace(domain::event_type_name(domain::DomainEvent(std::in_place_index<I>)), 0),
     ...);
  }
  (std::make_index_sequence<std::variant_size_v<domain::DomainEvent>>{});
}

domain::EventId WorkerIngest::last_event_id() const {
  return relay_.log().empty() ? domain::EventId{0, 0} : relay_.log().newest().id;
}

void WorkerIngest::remember(std::string key, domain::EventId id) {
  if (window_ == 0) return;
  if (seen_order_.size() == window_) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  seen_.emplace(key, id);
  seen_order_.push_back(std::move(key));
}

std::variant<std::vector<domain::EventId>, IngestRejection> WorkerIngest::ingest(
    const std::vector<proto::IngestItem>& items, const SpanParent& parent) {
  if (relay_.stopping()) return IngestRejection{503, "draining", 0, "the relay is shutting down"};

  // Which items are retries: of an earlier request (known id) or of an earlier item.
  std::vector<std::string> keys;
  std::vector<std::optional<domain::EventId>> known(items.size());
  std::vector<std::optional<std::size_t>> same_as(items.size());
  std::unordered_map<std::string_view, std::size_t> first_in_batch;
  std::vector<domain::DomainEvent> fresh;
  std::vector<std::size_t> fresh_index;
  keys.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    keys.push_back(items[i].source + '\x1f' + items[i].id);
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (auto it = seen_.find(keys[i]); it != seen_.end()) {
      known[i] = it->second;
    } else if (auto [it2, inserted] = first_in_batch.emplace(keys[i], i); !inserted) {
      same_as[i] = it2->second;
    } else {
      fresh.push_back(items[i].event);
      fresh_index.push_back(i);
    }
  }
  if (auto rejection = registry_.check_batch(fresh)) {
    auto& [at, why] = *rejection;
    return IngestRejection{why.status, why.code, fresh_index[at], why.reason};
  }

  std::vector<domain::EventId> ids;
  ids.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (known[i]) {
      ids.push_back(*known[i]);
      continue;
    }
    if (same_as[i]) {
      ids.push_back(ids[*same_as[i]]);
      continue;
    }
    const auto& item = items[i];
    const auto type_name = domain::event_type_name(item.event);
    auto span = relay_.tracer().start_span(fmt::format("domain.handle {}", type_name),
                                           proto::SpanKind::internal, parent);
    span.set("cloudevents.event_id", item.id)
        .set("cloudevents.event_source", item.source)
        .set("cloudevents.event_type", type_name)
        .set("relay.worker_id", domain::worker_id_of(item.event));
    if (!item.subject.empty()) span.set("cloudevents.event_subject", item.subject);
    auto notice = registry_.apply(item.event);
    if (auto it = ingested_.find(type_name); it != ingested_.end()) {
      ++it->second;
    } else {
      ingested_.emplace(std::string(type_name), 1);
    }
    std::variant<domain::EventId, Rejection> outcome;
    if (notice) {
      auto notification = proto::encode_worker_notice(*notice);
      // With tracing on, the broadcast becomes this span's child; off, the producer's own
      // context is passed on as it came.
      if (relay_.tracer().enabled()) {
        notification.traceparent = span.traceparent();
      } else if (parent.context) {
        notification.traceparent = proto::format_traceparent(*parent.context);
      }
      notification.tracestate = std::string(parent.tracestate);
      outcome = relay_.publish(notification);
    } else {
      outcome = relay_.record_silent();
    }
    // The relay refuses only while stopping, which was checked above on this same thread.
    const auto id = std::get<domain::EventId>(outcome);
    span.set("relay.event_id", id.to_string())
        .set("relay.outcome", notice ? "broadcast" : "silent");
    ids.push_back(id);
    remember(keys[i], id);
  }
  return ids;
}

}  // namespace relay::service
