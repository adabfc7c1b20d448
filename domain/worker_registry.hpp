#pragma once
// The worker aggregates and the domain event handlers that fold events into them. Handlers
// run in log order, so the same log always yields the same aggregates and notifications.
#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "domain/worker_events.hpp"

namespace relay::domain {

/// Why an event cannot be folded. A reason, not an answer: the HTTP front picks the status.
enum class RefusalCode {
  unknown_worker,      ///< No worker with this id was ever created.
  duplicate_worker,    ///< A create for an id that already exists.
  worker_terminated,   ///< Any event after the worker's termination.
  invalid_transition,  ///< A status the lifecycle cannot reach from the current one.
};

/// "unknown_worker", ... as in logs.
std::string_view to_string(RefusalCode code);

/// A refused event: the reason and a sentence naming the worker.
struct EventRejection {
  RefusalCode code = RefusalCode::unknown_worker;
  std::string reason;
};

/// Rules (each unit-tested):
/// - an event for a worker never created is rejected (unknown_worker);
/// - a second create for the same id is rejected (duplicate_worker);
/// - any event after termination is rejected (worker_terminated);
/// - a status the lifecycle cannot reach from the current one is rejected
///   (invalid_transition), as is creating a worker already terminated;
/// - a status update to the current status is accepted but changes nothing: no notification;
/// - telemetry (or a labs sync) not newer than the one held is accepted and ignored as stale.
class WorkerRegistry {
 public:
  /// The rejection for `event` against the current aggregates, or nullopt when it folds.
  [[nodiscard]] std::optional<EventRejection> check(const DomainEvent& event) const;

  /// Checks a batch in order, each event against the state the earlier ones would leave.
  /// Returns the index and rejection of the first event that cannot be folded.
  [[nodiscard]] std::optional<std::pair<std::size_t, EventRejection>> check_batch(
      std::span<const DomainEvent> events) const;

  /// Folds an event that passed check() and returns its notification, if it changed
  /// anything a subscriber should see.
  std::optional<WorkerNotice> apply(const DomainEvent& event);

  [[nodiscard]] const Worker* find(std::string_view worker_id) const;
  [[nodiscard]] const std::map<std::string, Worker, std::less<>>& workers() const {
    return workers_;
  }

 private:
  std::map<std::string, Worker, std::less<>> workers_;
};

/// True when the lifecycle allows `from` -> `to` (same status excluded).
bool transition_allowed(WorkerStatus from, WorkerStatus to);

}  // namespace relay::domain
