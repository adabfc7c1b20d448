#pragma once
// POST /api/domain-events (DESIGN 4.3): CloudEvents about workers, one or a batch, checked
// whole before anything is stored, then appended through the ingest (202 with the ids).
#include <cstddef>
#include <functional>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "infra/http/http_types.hpp"
#include "service/event_ingest.hpp"

namespace relay::infra {

/// Asked with the number of events of a well-formed request before anything is stored; a
/// response refuses the request (the publish rate).
using IngestAdmission = std::function<std::optional<Response>(std::size_t events)>;

/// The caller has checked who publishes. `context`: the ingest span (tracing on) or the
/// producer's context (off).
boost::asio::awaitable<Response> ingest_domain_events(const Request& req,
                                                      service::EventIngest& ingest,
                                                      service::IngestContext context,
                                                      const IngestAdmission& admit);

}  // namespace relay::infra
