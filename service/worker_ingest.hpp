#pragma once
// Ingest of worker domain events: validated CloudEvents -> idempotency -> whole-batch check
// against the aggregates -> fold in order -> broadcast each notification (DESIGN 3, 4.3).
#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "domain/event_id.hpp"
#include "domain/worker_registry.hpp"
#include "proto/cloudevents.hpp"
#include "service/sse_event_relay.hpp"
#include "service/tracer.hpp"

namespace relay::service {

/// A batch refused by the aggregates (409/422) or by a stopping relay (503).
struct IngestRejection {
  int status = 409;
  std::string code;       ///< unknown_worker | duplicate_worker | worker_terminated |
                          ///< invalid_transition | draining
  std::size_t index = 0;  ///< The first item that could not be folded.
  std::string detail;
};

class WorkerIngest {
 public:
  /// `idempotency_window`: how many recent (source, id) pairs are remembered.
  WorkerIngest(SseEventRelay& relay, std::size_t idempotency_window);

  /// Stores the whole batch or nothing. Returns the log id of every item in request order;
  /// an item whose (source, id) was seen before (or earlier in the batch) answers with the
  /// original id and is not stored again. Each folded item runs in a `domain.handle <type>`
  /// span under `parent` (the ingest span, or the producer's context when tracing is off),
  /// and that span's traceparent travels into the envelope.
  std::variant<std::vector<domain::EventId>, IngestRejection> ingest(
      const std::vector<proto::IngestItem>& items, const SpanParent& parent = {});

  [[nodiscard]] const domain::WorkerRegistry& registry() const { return registry_; }
  /// Domain events folded (not retries), by type name ("CMLWorkerCreatedDomainEvent", ...).
  [[nodiscard]] const std::map<std::string, std::uint64_t, std::less<>>& ingested_by_type() const {
    return ingested_;
  }

  /// Id of the newest event in the log, which the aggregates already include; "0-0" when
  /// nothing was stored yet. Subscribing with ?since=<it> continues exactly after it.
  [[nodiscard]] domain::EventId last_event_id() const;

 private:
  void remember(std::string key, domain::EventId id);

  SseEventRelay& relay_;
  domain::WorkerRegistry registry_;
  std::size_t window_;
  std::unordered_map<std::string, domain::EventId> seen_;
  std::deque<std::string> seen_order_;
  std::map<std::string, std::uint64_t, std::less<>> ingested_;
};

}  // namespace relay::service
