#include "domain/worker.hpp"

namespace relay::domain {

std::string_view to_string(WorkerStatus status) {
  switch (status) {
    case WorkerStatus::pending:
      return "pending";
    case WorkerStatus::provisioning:
      return "provisioning";
    case WorkerStatus::running:
      return "running";
    case WorkerStatus::stopping:
      return "stopping";
    case WorkerStatus::stopped:
      return "stopped";
    case WorkerStatus::terminated:
      return "terminated";
  }
  return "pending";
}

std::optional<WorkerStatus> parse_worker_status(std::string_view text) {
  if (text == "pending") return WorkerStatus::pending;
  if (text == "provisioning") return WorkerStatus::provisioning;
  if (text == "running") return WorkerStatus::running;
  if (text == "stopping" || text == "shutting-down") return WorkerStatus::stopping;
  if (text == "stopped") return WorkerStatus::stopped;
  if (text == "terminated") return WorkerStatus::terminated;
  return std::nullopt;
}

}  // namespace relay::domain
