#pragma once
// The worker aggregates and the domain event handlers that fold events into them. Handlers
// run in log order, so the same log always yields the same aggregates and notifications.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/worker_events.hpp"

namespace relay::domain {

/// Why an event cannot be folded. A reason, not an answer: the HTTP front picks the status.
enum class RefusalCode {
  unknown_worker,      ///< No worker with this id was ever created.
  duplicate_worker,    ///< A create for an id that already exists.
  worker_terminated,   ///< Any event after the worker's termination.
  invalid_transition,  ///< A status the lifecycle cannot reach from the current one.
  too_many_workers,    ///< A create while the registry holds its maximum of workers.
};

/// What bounds the read model: it lives in memory and is served whole.
struct RegistryLimits {
  /// RELAY_MAX_WORKERS: workers held at most; a create beyond it is refused.
  std::size_t max_workers = 100'000;
  /// RELAY_TERMINATED_RETENTION_MS: how long (in log time) a terminated worker stays in the
  /// read model before it is forgotten; its id may then be created again.
  std::uint64_t terminated_retention_ms = 3'600'000;
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
/// - telemetry (or a labs sync) not newer than the one held is accepted and ignored as stale;
/// - a create while `max_workers` are held is rejected (too_many_workers);
/// - a terminated worker is forgotten `terminated_retention_ms` after its termination was
///   folded, measured in log time (the ms of event ids), so every replica forgets it at the
///   same event.
class WorkerRegistry {
 public:
  explicit WorkerRegistry(RegistryLimits limits = {}) : limits_(limits) {}

  /// Moves the registry's log time to `now_ms` (the id of the event about to be folded) and
  /// forgets the terminated workers whose retention has run out by then.
  void advance(std::uint64_t now_ms);

  /// The rejection for `event` against the current aggregates, or nullopt when it folds.
  [[nodiscard]] std::optional<EventRejection> check(const DomainEvent& event) const;

  /// Checks a batch in order, each event against the state the earlier ones would leave,
  /// as the fold will see it at log time `now_ms` (workers forgotten by then are gone).
  /// Returns the index and rejection of the first event that cannot be folded.
  [[nodiscard]] std::optional<std::pair<std::size_t, EventRejection>> check_batch(
      std::span<const DomainEvent> events, std::uint64_t now_ms) const;

  /// Folds an event that passed check() and returns its notification, if it changed
  /// anything a subscriber should see.
  std::optional<WorkerNotice> apply(const DomainEvent& event);

  /// Replaces every aggregate with `workers`, at log time `now_ms` (a snapshot's): the state
  /// the fold had reached there, terminated workers' retention included. Empty: forget all.
  void restore(std::vector<Worker> workers, std::uint64_t now_ms);

  /// The log time the registry has been advanced to.
  [[nodiscard]] std::uint64_t now_ms() const { return now_ms_; }

  [[nodiscard]] const Worker* find(std::string_view worker_id) const;
  [[nodiscard]] const std::map<std::string, Worker, std::less<>>& workers() const {
    return workers_;
  }
  [[nodiscard]] const RegistryLimits& limits() const { return limits_; }

 private:
  /// Terminated workers that `advance(now_ms)` would forget.
  [[nodiscard]] bool expired(const std::pair<std::uint64_t, std::string>& termination,
                             std::uint64_t now_ms) const {
    return termination.first + limits_.terminated_retention_ms <= now_ms;
  }

  RegistryLimits limits_;
  std::map<std::string, Worker, std::less<>> workers_;
  /// (log time of the termination, worker id), oldest first: what advance() forgets.
  std::deque<std::pair<std::uint64_t, std::string>> terminations_;
  std::uint64_t now_ms_ = 0;
};

/// True when the lifecycle allows `from` -> `to` (same status excluded).
bool transition_allowed(WorkerStatus from, WorkerStatus to);

}  // namespace relay::domain
