#pragma once
// The fold (DESIGN 3): every event the log delivers, in log order, goes into the worker
// aggregates; what changed is encoded once into an SSE frame and appended to the frame log
// at the event's id. A silent event (no change, or refused by the fold) keeps its position
// without a frame. Deterministic: the same log gives the same aggregates, frames and ids.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "domain/notification.hpp"
#include "domain/worker_registry.hpp"
#include "service/clock.hpp"
#include "service/event_log.hpp"
#include "service/fanout.hpp"
#include "service/frame_log.hpp"
#include "service/relay_stats.hpp"
#include "service/telemetry/tracer.hpp"

namespace relay::service {

class WorkerProjection final : public EventTailer {
 public:
  /// `clock` dates the advisory pre-check only; the fold itself runs on log time.
  WorkerProjection(FrameLog& frames, Fanout& fanout, RelayStats& stats, Tracer& tracer,
                   Logger& logger, const Clock& clock, domain::RegistryLimits limits = {});

  /// Folds one log event: a `domain.handle <type>` span for a domain event (child of the
  /// context the event was accepted under), then the frame and its `sse.broadcast` span.
  void on_event(const StoredEvent& event) override;

  /// The advisory pre-check of ingest: the first event of `events` the fold would refuse
  /// now, each checked against the state the earlier ones would leave.
  [[nodiscard]] std::optional<std::pair<std::size_t, domain::EventRejection>> precheck(
      std::span<const domain::DomainEvent> events) const {
    return registry_.check_batch(events, clock_.now_unix_ms());
  }

  /// Replaces the aggregates and the frame log with a snapshot's (or nothing), then tells
  /// every open stream to resync when `reason` is given (EventTailer).
  bool rebuild(std::string_view snapshot, const std::string& reason) override;
  /// Events were lost before the next one: the frame log is cleared (no replay across the
  /// gap) and every open stream resyncs (EventTailer).
  void resync(const std::string& reason) override;
  void gap(const std::string& reason) override;
  /// The aggregates and the frame log's window at last_event_id(), captured now and
  /// encoded by the job (EventTailer).
  [[nodiscard]] SnapshotJob snapshot_job() const override;
  /// The same, encoded here.
  [[nodiscard]] std::string snapshot() const;

  [[nodiscard]] const domain::WorkerRegistry& registry() const { return registry_; }

  /// Id of the last event folded; "0-0" before the first. Subscribing with ?since=<it>
  /// continues exactly after it.
  [[nodiscard]] domain::EventId last_event_id() const { return last_; }

  /// Domain events folded, by type name ("CMLWorkerCreatedDomainEvent", ...).
  [[nodiscard]] const std::map<std::string, std::uint64_t, std::less<>>& folded_by_type() const {
    return folded_;
  }

 private:
  /// The notification of a domain event, or nullopt for a silent (or refused) one; records
  /// the outcome on the `domain.handle` span.
  std::optional<domain::Notification> fold(const StoredEvent& event, const proto::IngestItem& item,
                                           Span& handle_span);
  void broadcast(const StoredEvent& event, const domain::Notification& n, const SpanParent& parent);
  void silent(const StoredEvent& event);

  FrameLog& frame_log_;
  Fanout& fanout_;
  RelayStats& stats_;
  Tracer& tracer_;
  Logger& logger_;
  const Clock& clock_;
  domain::WorkerRegistry registry_;
  domain::EventId last_{0, 0};
  std::map<std::string, std::uint64_t, std::less<>> folded_;
};

}  // namespace relay::service
