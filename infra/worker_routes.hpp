#pragma once
// Worker routes: POST /api/domain-events (CloudEvents ingest) and the read model
// GET /api/workers, GET /api/workers/{id} (DESIGN 4.3, 4.4).
#include "infra/http_types.hpp"
#include "service/worker_ingest.hpp"

namespace relay::infra {

class WorkerRoutes {
 public:
  explicit WorkerRoutes(service::WorkerIngest& ingest) : ingest_(ingest) {}

  /// POST /api/domain-events; the caller has checked the publish token.
  /// `parent`: the ingest span (tracing on) or the producer's context (off).
  Response ingest(const Request& req, const service::SpanParent& parent);
  /// GET /api/workers (`worker_id` empty) or GET /api/workers/{worker_id}.
  Response read(const Request& req, std::string_view worker_id);

 private:
  service::WorkerIngest& ingest_;
};

}  // namespace relay::infra
