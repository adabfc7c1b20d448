#include "domain/worker_events.hpp"

namespace relay::domain {

const std::string& worker_id_of(const DomainEvent& event) {
  return std::visit([](const auto& e) -> const std::string& { return e.worker_id; }, event);
}

std::string_view event_type_name(const DomainEvent& event) {
  static constexpr std::string_view names[] = {
      "CMLWorkerCreatedDomainEvent", "CMLWorkerStatusUpdatedDomainEvent",
      "CMLWorkerTelemetryUpdatedDomainEvent", "CMLWorkerLabsUpdatedDomainEvent",
      "CMLWorkerTerminatedDomainEvent"};
  return names[event.index()];
}

std::string_view sse_type_of(const WorkerNotice& notice) {
  static constexpr std::string_view types[] = {"worker.created", "worker.status.updated",
                                               "worker.metrics.updated", "worker.labs.updated",
                                               "worker.terminated"};
  return types[notice.index()];
}

}  // namespace relay::domain
