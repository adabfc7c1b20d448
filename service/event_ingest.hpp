#pragma once
// Ingest (DESIGN 3, 4.3): validated events -> idempotency -> advisory pre-check against the
// aggregates (early 409/422) -> EventLog.append, which mints the ids. The fold happens when
// the log delivers the events (WorkerProjection), on this replica and every other.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "domain/event_id.hpp"
#include "proto/cloudevents.hpp"
#include "proto/publish_request.hpp"
#include "service/event_log.hpp"
#include "service/relay_error.hpp"
#include "service/worker_projection.hpp"

namespace relay::service {

/// A batch that was not stored, and why.
struct IngestRejection {
  error reason = error::unknown_worker;
  std::size_t index = 0;  ///< The first item that could not be folded (fold refusals).
  std::string detail;
};

/// The trace context an ingest runs under, kept by value across the append.
struct IngestContext {
  std::string traceparent;  ///< The ingest span (tracing on) or the producer's (off).
  std::string tracestate;
};

class EventIngest {
 public:
  /// `draining`: true while the relay stops (ingest then answers `draining`).
  EventIngest(EventLog& log, const WorkerProjection& projection, const bool& draining);

  /// Stores the whole batch or nothing. Returns the log id of every item in request order;
  /// an item whose (source, id) was stored before (or earlier in the batch) answers with the
  /// original id and is not stored again.
  boost::asio::awaitable<std::variant<std::vector<domain::EventId>, IngestRejection>> ingest(
      std::vector<proto::IngestItem> items, IngestContext context);

  /// Stores one generic event (POST /api/events). `idempotency_key` (the request's
  /// Idempotency-Key, already validated; empty: none): a key stored before answers with the
  /// original id and stores nothing, through the same dedupe as CloudEvents' (source, id).
  boost::asio::awaitable<std::variant<domain::EventId, IngestRejection>> publish(
      proto::PublishRequest request, IngestContext context, std::string idempotency_key = {});

  /// Events this replica appended to the log (retries excluded).
  [[nodiscard]] std::uint64_t appended() const { return appended_; }

 private:
  EventLog& event_log_;
  const WorkerProjection& projection_;
  const bool& draining_;
  std::uint64_t appended_ = 0;
};

}  // namespace relay::service
