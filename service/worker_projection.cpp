#include "service/worker_projection.hpp"

#include <fmt/format.h>

#include "proto/envelope.hpp"
#include "proto/projection_snapshot.hpp"
#include "proto/sse_encoder.hpp"
#include "proto/traceparent.hpp"
#include "proto/worker_json.hpp"

namespace relay::service {

WorkerProjection::WorkerProjection(FrameLog& frames, Fanout& fanout, RelayStats& stats,
                                   Tracer& tracer, Logger& logger, const Clock& clock,
                                   domain::RegistryLimits limits)
    : frame_log_(frames),
      fanout_(fanout),
      stats_(stats),
      tracer_(tracer),
      logger_(logger),
      clock_(clock),
      registry_(limits) {
  // Every type is counted from zero, so a dashboard's rate() exists before the first event.
  [this]<std::size_t... I>(std::index_sequence<I...>) {
    (folded_.emplace(domain::event_type_name(domain::DomainEvent(std::in_place_index<I>)), 0), ...);
  }
  (std::make_index_sequence<std::variant_size_v<domain::DomainEvent>>{});
}

void WorkerProjection::on_event(const StoredEvent& event) {
  last_ = event.id;
  // Log time, not the wall clock: every replica forgets a terminated worker at the same event.
  registry_.advance(event.id.ms);
  const auto& record = event.record;
  const SpanParent accepted_under{proto::parse_traceparent(record.traceparent), record.tracestate};
  if (const auto* generic = std::get_if<proto::PublishRequest>(&record.body)) {
    // A generic event's key is what ?worker= follows and what conflation supersedes.
    broadcast(event,
              {generic->type, generic->data_json, generic->key, "", generic->key, "", "", ""},
              accepted_under);
    return;
  }
  const auto& item = std::get<proto::IngestItem>(record.body);
  const auto type_name = domain::event_type_name(item.event);
  auto span = tracer_.start_span(fmt::format("domain.handle {}", type_name),
                                 proto::SpanKind::internal, accepted_under);
  span.set("cloudevents.event_id", item.id)
      .set("cloudevents.event_source", item.source)
      .set("cloudevents.event_type", type_name)
      .set("relay.worker_id", domain::worker_id_of(item.event))
      .set("relay.event_id", event.id.to_string());
  if (!item.subject.empty()) span.set("cloudevents.event_subject", item.subject);
  auto notification = fold(event, item, span);
  if (notification) {
    // The region a token may restrict to: fixed at the worker's creation, still known at
    // its termination (the worker stays in the registry for its retention).
    if (const auto* worker = registry_.find(notification->worker_id)) {
      notification->region = worker->region;
    }
    span.set("relay.outcome", "broadcast");
    broadcast(event, *notification, tracer_.enabled() ? span.as_parent() : accepted_under);
  } else {
    silent(event);
  }
}

std::optional<domain::Notification> WorkerProjection::fold(const StoredEvent& event,
                                                           const proto::IngestItem& item,
                                                           Span& span) {
  // The pre-check at ingest only answered early; two replicas may have accepted events
  // that conflict. The log's order decides: the later one is refused here, the same way on
  // every replica, and becomes a counted silent entry.
  if (auto refusal = registry_.check(item.event)) {
    ++stats_.fold_rejected;
    span.set("relay.outcome", "rejected").set("relay.rejection", domain::to_string(refusal->code));
    logger_.warn("event refused by the fold", {{"event_id", event.id.to_string()},
                                               {"reason", domain::to_string(refusal->code)},
                                               {"detail", refusal->reason}});
    return std::nullopt;
  }
  auto notice = registry_.apply(item.event);
  // Every type is in the map from the start: a lookup, no key allocated per event.
  if (auto it = folded_.find(domain::event_type_name(item.event)); it != folded_.end()) {
    ++it->second;
  }
  if (!notice) {
    span.set("relay.outcome", "silent");
    return std::nullopt;
  }
  return proto::encode_worker_notice(*notice);
}

void WorkerProjection::broadcast(const StoredEvent& event, const domain::Notification& n,
                                 const SpanParent& parent) {
  const auto id_text = event.id.to_string();
  Span span;
  if (tracer_.enabled()) {
    span = tracer_.start_span(fmt::format("sse.broadcast {}", n.type), proto::SpanKind::producer,
                              parent);
    span.set("messaging.system", "sse")
        .set("messaging.operation.type", "publish")
        .set("messaging.destination.name", "/api/events/stream")
        .set("messaging.message.id", id_text)
        .set("sse.event.type", n.type);
    if (!n.worker_id.empty()) span.set("relay.worker_id", n.worker_id);
  }
  // The envelope carries the context the event was accepted under, which is in the log: the
  // same bytes on every replica. Its time is the id's, minted by the log.
  const auto envelope = proto::encode_envelope(
      {event.id, n.type, event.id.ms, n.subject, event.record.traceparent, n.data_json});
  auto frame = std::make_shared<const std::string>(proto::encode_event(id_text, n.type, envelope));
  std::string key = n.conflation_key.empty() ? std::string{} : n.type + '\n' + n.conflation_key;
  const auto position =
      frame_log_.append(event.id, n.type, std::move(key), n.worker_id, std::move(frame), n.region);
  ++stats_.events_broadcast;
  stats_.count_type(n.type);
  fanout_.appended(position, std::move(span));
}

SnapshotJob WorkerProjection::snapshot_job() const {
  // The aggregates are copied (they change with the next fold); the frames are shared,
  // immutable strings. Encoding, the costly part, is left to the job.
  auto out = std::make_shared<proto::ProjectionSnapshot>();
  out->last_id = last_;
  out->log_ms = registry_.now_ms();
  out->workers.reserve(registry_.workers().size());
  for (const auto& [id, worker] : registry_.workers()) out->workers.push_back(worker);
  out->frames.reserve(frame_log_.size());
  for (auto at = frame_log_.begin_position(); at < frame_log_.end_position(); ++at) {
    const auto& entry = frame_log_.at(at);
    out->frames.push_back(
        {entry.id, entry.type, entry.conflation_key, entry.worker_id, entry.frame, entry.region});
  }
  return [out] { return proto::encode_snapshot(*out); };
}

std::string WorkerProjection::snapshot() const { return snapshot_job()(); }

bool WorkerProjection::rebuild(std::string_view snapshot, const std::string& reason) {
  registry_.restore({}, 0);
  frame_log_.clear();
  last_ = domain::EventId{0, 0};
  bool restored = snapshot.empty();
  if (!snapshot.empty()) {
    auto decoded = proto::decode_snapshot(snapshot);
    if (auto* error = std::get_if<std::string>(&decoded)) {
      logger_.error("snapshot not readable; rebuilding from the log alone", {{"reason", *error}});
    } else {
      auto& state = std::get<proto::ProjectionSnapshot>(decoded);
      registry_.restore(std::move(state.workers), state.log_ms);
      for (auto& f : state.frames) {
        frame_log_.append(f.id, std::move(f.type), std::move(f.conflation_key),
                       std::move(f.worker_id), std::move(f.frame), std::move(f.region));
      }
      last_ = state.last_id;
      restored = true;
    }
  }
  // After the frames are back: streams continue from the rebuilt log's end, never see a
  // restored frame as new, and learn that what they hold may be stale.
  if (!reason.empty()) fanout_.resync_all(reason);
  return restored;
}

void WorkerProjection::resync(const std::string& reason) { fanout_.resync_all(reason); }

void WorkerProjection::gap(const std::string& reason) {
  frame_log_.clear();
  fanout_.resync_all(reason);
}

void WorkerProjection::silent(const StoredEvent& event) {
  static const auto no_frame = std::make_shared<const std::string>();
  frame_log_.append(event.id, {}, {}, {}, no_frame);
  ++stats_.events_silent;
  fanout_.appended_silent();
}

}  // namespace relay::service
