#include "domain/worker_registry.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace relay::domain {

std::string_view to_string(RefusalCode code) {
  switch (code) {
    case RefusalCode::unknown_worker:
      return "unknown_worker";
    case RefusalCode::duplicate_worker:
      return "duplicate_worker";
    case RefusalCode::worker_terminated:
      return "worker_terminated";
    case RefusalCode::too_many_workers:
      return "too_many_workers";
    case RefusalCode::invalid_transition:
      return "invalid_transition";
  }
  return "unknown";
}

bool transition_allowed(WorkerStatus from, WorkerStatus to) {
  using S = WorkerStatus;
  if (from == to || from == S::terminated) return false;
  if (to == S::terminated) return true;
  switch (from) {
    case S::pending:
      return to == S::provisioning || to == S::running || to == S::stopping || to == S::stopped;
    case S::provisioning:
      return to == S::running || to == S::stopping || to == S::stopped;
    case S::running:
      return to == S::stopping || to == S::stopped;
    case S::stopping:
      return to == S::stopped;
    case S::stopped:
      return to == S::pending || to == S::provisioning || to == S::running;
    case S::terminated:
      return false;
  }
  return false;
}

const Worker* WorkerRegistry::find(std::string_view worker_id) const {
  auto it = workers_.find(worker_id);
  return it == workers_.end() ? nullptr : &it->second;
}

namespace {

EventRejection registry_full(const RegistryLimits& limits) {
  return {RefusalCode::too_many_workers,
          fmt::format("the relay holds its maximum of {} workers (RELAY_MAX_WORKERS); terminated "
                      "workers are forgotten {} ms after their termination "
                      "(RELAY_TERMINATED_RETENTION_MS)",
                      limits.max_workers, limits.terminated_retention_ms)};
}

}  // namespace

std::optional<EventRejection> WorkerRegistry::check(const DomainEvent& event) const {
  const auto& id = worker_id_of(event);
  const Worker* worker = find(id);
  if (const auto* created = std::get_if<WorkerCreated>(&event)) {
    if (worker) {
      return EventRejection{RefusalCode::duplicate_worker,
                            fmt::format("worker '{}' already exists", id)};
    }
    if (created->status == WorkerStatus::terminated) {
      return EventRejection{RefusalCode::invalid_transition,
                            fmt::format("worker '{}' cannot be created terminated", id)};
    }
    if (workers_.size() >= limits_.max_workers) {
      return registry_full(limits_);
    }
    return std::nullopt;
  }
  if (!worker) {
    return EventRejection{RefusalCode::unknown_worker,
                          fmt::format("worker '{}' does not exist", id)};
  }
  if (worker->status == WorkerStatus::terminated) {
    return EventRejection{RefusalCode::worker_terminated,
                          fmt::format("worker '{}' is terminated", id)};
  }
  if (const auto* update = std::get_if<WorkerStatusUpdated>(&event)) {
    if (update->status != worker->status && !transition_allowed(worker->status, update->status)) {
      return EventRejection{RefusalCode::invalid_transition,
                            fmt::format("worker '{}' cannot go from {} to {}", id,
                                        to_string(worker->status), to_string(update->status))};
    }
  }
  return std::nullopt;
}

std::optional<std::pair<std::size_t, EventRejection>> WorkerRegistry::check_batch(
    std::span<const DomainEvent> events, std::uint64_t now_ms) const {
  // A scratch registry with copies of just the workers the batch touches and that are not
  // forgotten by `now_ms`; it counts as holding as many workers as this one will then.
  const auto forgotten = static_cast<std::size_t>(
      std::partition_point(terminations_.begin(), terminations_.end(),
                           [&](const auto& termination) { return expired(termination, now_ms); }) -
      terminations_.begin());
  const auto is_forgotten = [&](const Worker& w) {
    return w.status == WorkerStatus::terminated &&
           w.terminated_logged_ms + limits_.terminated_retention_ms <= now_ms;
  };
  WorkerRegistry scratch({std::numeric_limits<std::size_t>::max(), limits_.terminated_retention_ms});
  for (const auto& event : events) {
    const auto& id = worker_id_of(event);
    if (auto it = workers_.find(id); it != workers_.end() && !is_forgotten(it->second)) {
      scratch.workers_.insert(*it);
    }
  }
  auto held = workers_.size() - forgotten;
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto rejection = scratch.check(events[i]);
    if (!rejection && std::holds_alternative<WorkerCreated>(events[i])) {
      if (held >= limits_.max_workers) {
        rejection = registry_full(limits_);
      }
      ++held;
    }
    if (rejection) return std::pair{i, std::move(*rejection)};
    scratch.apply(events[i]);
  }
  return std::nullopt;
}

void WorkerRegistry::advance(std::uint64_t now_ms) {
  now_ms_ = std::max(now_ms_, now_ms);
  while (!terminations_.empty() && expired(terminations_.front(), now_ms_)) {
    if (auto it = workers_.find(terminations_.front().second);
        it != workers_.end() && it->second.status == WorkerStatus::terminated) {
      workers_.erase(it);
    }
    terminations_.pop_front();
  }
}

namespace {

AggregateStamp touch(Worker& w, std::uint64_t at_ms) {
  w.updated_at_ms = std::max(w.updated_at_ms, at_ms);
  ++w.version;
  return {w.version, w.updated_at_ms};
}

}  // namespace

void WorkerRegistry::restore(std::vector<Worker> workers, std::uint64_t now_ms) {
  workers_.clear();
  terminations_.clear();
  now_ms_ = now_ms;
  std::vector<std::pair<std::uint64_t, std::string>> terminations;
  for (auto& worker : workers) {
    if (worker.status == WorkerStatus::terminated) {
      terminations.emplace_back(worker.terminated_logged_ms, worker.worker_id);
    }
    auto id = worker.worker_id;
    workers_.insert_or_assign(std::move(id), std::move(worker));
  }
  // advance() forgets from the front: oldest termination first, as the fold queued them.
  std::sort(terminations.begin(), terminations.end());
  terminations_.assign(terminations.begin(), terminations.end());
}

std::optional<WorkerNotice> WorkerRegistry::apply(const DomainEvent& event) {
  if (const auto* e = std::get_if<WorkerCreated>(&event)) {
    Worker w;
    w.worker_id = e->worker_id;
    w.name = e->name;
    w.region = e->region;
    w.instance_type = e->instance_type;
    w.status = e->status;
    w.created_at_ms = e->created_at_ms;
    w.updated_at_ms = e->created_at_ms;
    w.version = 1;
    auto& stored = workers_.insert_or_assign(w.worker_id, std::move(w)).first->second;
    return WorkerCreatedNotice{stored};
  }
  auto it = workers_.find(worker_id_of(event));
  if (it == workers_.end()) return std::nullopt;  // check() refuses these; nothing to fold
  Worker& w = it->second;

  if (const auto* e = std::get_if<WorkerStatusUpdated>(&event)) {
    if (e->status == w.status) return std::nullopt;
    const auto previous = w.status;
    w.status = e->status;
    if (e->status == WorkerStatus::terminated) {
      w.terminated_at_ms = e->updated_at_ms;
      w.terminated_logged_ms = now_ms_;
      terminations_.emplace_back(now_ms_, w.worker_id);
    }
    return WorkerStatusNotice{w.worker_id, w.status, previous, touch(w, e->updated_at_ms)};
  }
  if (const auto* e = std::get_if<WorkerTelemetryUpdated>(&event)) {
    if (w.metrics && e->metrics.collected_at_ms <= w.metrics->collected_at_ms) return std::nullopt;
    w.metrics = e->metrics;
    return WorkerMetricsNotice{w.worker_id, e->metrics, touch(w, e->metrics.collected_at_ms)};
  }
  if (const auto* e = std::get_if<WorkerLabsUpdated>(&event)) {
    if (w.labs_synchronized_at_ms != 0 && e->synchronized_at_ms <= w.labs_synchronized_at_ms) {
      return std::nullopt;
    }
    w.labs = e->labs;
    w.labs_synchronized_at_ms = e->synchronized_at_ms;
    const auto stamp = touch(w, e->synchronized_at_ms);
    return WorkerLabsNotice{w.worker_id, w.labs, e->synchronized_at_ms, stamp};
  }
  const auto& e = std::get<WorkerTerminated>(event);
  w.status = WorkerStatus::terminated;
  w.terminated_at_ms = e.terminated_at_ms;
  w.terminated_logged_ms = now_ms_;
  terminations_.emplace_back(now_ms_, w.worker_id);
  return WorkerTerminatedNotice{w.worker_id, e.reason, e.terminated_at_ms,
                                touch(w, e.terminated_at_ms)};
}

}  // namespace relay::domain
