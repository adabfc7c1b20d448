#pragma once
// CloudEvents 1.0 structured JSON (single or batch) -> worker domain events (DESIGN 4.3).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/worker_events.hpp"

namespace relay::proto {

/// One validated CloudEvent.
struct IngestItem {
  std::string source;  ///< With `id`, the idempotency key of the event.
  std::string id;
  std::string subject;  ///< Optional CloudEvents subject; empty when absent.
  domain::DomainEvent event;
};

/// Why a body was refused. For a batch, `index` is the item; `pointer` is the JSON Pointer
/// of the offending field within the whole body ("/3/data/cpu_percent").
struct IngestError {
  bool invalid_json = false;
  std::optional<std::size_t> index;
  std::string pointer;
  std::string detail;
};

/// A valid body: its events in order, and whether it was a batch (a JSON array).
struct ParsedEvents {
  std::vector<IngestItem> items;
  bool batch = false;
};

/// What the Content-Type announced.
enum class BodyShape { single, batch, either };

/// Parses and validates the whole body; nothing is returned unless every item is valid.
std::variant<ParsedEvents, IngestError> parse_cloudevents(std::string_view body, BodyShape shape,
                                                          std::size_t max_items);

/// The domain event for a CloudEvents `type`, long ("CMLWorkerCreatedDomainEvent") or
/// short ("worker.created"); -1 when unknown. The index matches domain::DomainEvent.
int domain_event_index(std::string_view type);

}  // namespace relay::proto
