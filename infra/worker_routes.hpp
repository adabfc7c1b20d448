#pragma once
// Worker routes: POST /api/domain-events (CloudEvents ingest) and the read model
// GET /api/workers, GET /api/workers/{id} (DESIGN 4.3, 4.4).
#include <functional>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "infra/http_types.hpp"
#include "service/event_ingest.hpp"
#include "service/worker_projection.hpp"

namespace relay::infra {

class WorkerRoutes {
 public:
  WorkerRoutes(service::EventIngest& ingest, const service::WorkerProjection& projection)
      : ingest_(ingest), projection_(projection) {}

  /// Asked with the number of events of a well-formed request before anything is stored;
  /// a response refuses the request (the publish rate).
  using Admission = std::function<std::optional<Response>(std::size_t events)>;

  /// POST /api/domain-events; the caller has checked the publish token.
  /// `context`: the ingest span (tracing on) or the producer's context (off).
  boost::asio::awaitable<Response> ingest(const Request& req, service::IngestContext context,
                                          Admission admit);
  /// GET /api/workers (`worker_id` empty) or GET /api/workers/{worker_id}.
  Response read(const Request& req, std::string_view worker_id);

 private:
  service::EventIngest& ingest_;
  const service::WorkerProjection& projection_;
};

}  // namespace relay::infra
