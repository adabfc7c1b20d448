#pragma once
// Domain events about workers (DESIGN 4.3) and the notifications their handlers emit
// (DESIGN 4.2). Both are plain values; proto/ turns them to and from JSON.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/worker.hpp"

namespace relay::domain {

struct WorkerCreated {  // CMLWorkerCreatedDomainEvent
  std::string worker_id, name, region, instance_type;
  WorkerStatus status = WorkerStatus::pending;
  std::uint64_t created_at_ms = 0;
};
struct WorkerStatusUpdated {  // CMLWorkerStatusUpdatedDomainEvent
  std::string worker_id;
  WorkerStatus status = WorkerStatus::pending;
  std::uint64_t updated_at_ms = 0;
};
struct WorkerTelemetryUpdated {  // CMLWorkerTelemetryUpdatedDomainEvent
  std::string worker_id;
  WorkerMetrics metrics;
};
struct WorkerLabsUpdated {  // CMLWorkerLabsUpdatedDomainEvent
  std::string worker_id;
  std::vector<Lab> labs;
  std::uint64_t synchronized_at_ms = 0;
};
struct WorkerTerminated {  // CMLWorkerTerminatedDomainEvent
  std::string worker_id;
  std::string reason;
  std::uint64_t terminated_at_ms = 0;
};

using DomainEvent = std::variant<WorkerCreated, WorkerStatusUpdated, WorkerTelemetryUpdated,
                                 WorkerLabsUpdated, WorkerTerminated>;

/// The worker an event is about.
const std::string& worker_id_of(const DomainEvent& event);
/// "CMLWorkerCreatedDomainEvent", ... (span names, logs).
std::string_view event_type_name(const DomainEvent& event);

// Notifications: what subscribers see, taken from the aggregate after the event. Each
// carries the aggregate's version and updated_at, so a page applies them and never
// re-implements the fold (the read model's W has the same two fields).
struct AggregateStamp {
  std::uint64_t version = 0;
  std::uint64_t updated_at_ms = 0;
};
struct WorkerCreatedNotice {
  Worker worker;
};
struct WorkerStatusNotice {
  std::string worker_id;
  WorkerStatus status, previous_status;
  AggregateStamp stamp;
};
struct WorkerMetricsNotice {
  std::string worker_id;
  WorkerMetrics metrics;
  AggregateStamp stamp;
};
struct WorkerLabsNotice {
  std::string worker_id;
  std::vector<Lab> labs;
  std::uint64_t synchronized_at_ms;
  AggregateStamp stamp;
};
struct WorkerTerminatedNotice {
  std::string worker_id;
  std::string reason;
  std::uint64_t terminated_at_ms;
  AggregateStamp stamp;
};

using WorkerNotice = std::variant<WorkerCreatedNotice, WorkerStatusNotice, WorkerMetricsNotice,
                                  WorkerLabsNotice, WorkerTerminatedNotice>;

/// SSE type of a notice: "worker.created", "worker.status.updated", ...
std::string_view sse_type_of(const WorkerNotice& notice);

}  // namespace relay::domain
