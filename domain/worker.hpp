#pragma once
// The Worker aggregate: one cloud lab worker as the relay knows it from the events folded
// so far. Pure data; time is milliseconds since the epoch, injected by the events.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::domain {

/// Lifecycle of a worker (DESIGN 4.2).
enum class WorkerStatus { pending, provisioning, running, stopping, stopped, terminated };

/// "pending", "provisioning", ... as on the wire.
std::string_view to_string(WorkerStatus status);

/// A producer's status word: the domain names above, or an EC2 instance state mapped onto
/// them (pending, running, stopping, stopped, shutting-down -> stopping, terminated).
std::optional<WorkerStatus> parse_worker_status(std::string_view text);

/// The latest telemetry sample.
struct WorkerMetrics {
  double cpu_percent = 0;
  double memory_percent = 0;
  std::int64_t labs_count = 0;
  std::uint64_t collected_at_ms = 0;
};

/// One lab running on a worker.
struct Lab {
  std::string lab_id;
  std::string title;
  std::string state;
  std::int64_t node_count = 0;

  bool operator==(const Lab&) const = default;
};

struct Worker {
  std::string worker_id;
  std::string name;
  std::string region;
  std::string instance_type;
  WorkerStatus status = WorkerStatus::pending;
  std::uint64_t created_at_ms = 0;
  std::uint64_t updated_at_ms = 0;
  std::optional<std::uint64_t> terminated_at_ms;
  std::optional<WorkerMetrics> metrics;
  std::vector<Lab> labs;
  std::uint64_t labs_synchronized_at_ms = 0;
  std::uint64_t version = 0;  ///< Bumped by every event that changed the aggregate.
  /// Log time (event id ms) its termination was folded at: when the retention starts. Not
  /// part of the read model's document.
  std::uint64_t terminated_logged_ms = 0;
};

}  // namespace relay::domain
