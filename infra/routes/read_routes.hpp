#pragma once
// The read side of the API (DESIGN 4): OPTIONS, HEAD of the stream, /healthz, /readyz,
// /api/events/stats, /metrics, the read model (GET /api/workers[/id], by the token's grant)
// and the embedded dashboard with its CSP. All answer at once, without a coroutine.
#include <optional>
#include <string_view>

#include "infra/config/app_config.hpp"
#include "infra/http/http_types.hpp"
#include "infra/redis/bus_stats.hpp"
#include "infra/routes/worker_routes.hpp"
#include "infra/telemetry/prometheus_metrics.hpp"
#include "service/event_ingest.hpp"
#include "service/event_log.hpp"
#include "service/sse_event_relay.hpp"

namespace relay::infra {

class ReadRoutes {
 public:
  ReadRoutes(const HttpConfig& config, const service::SseEventRelay& relay,
             const service::EventIngest& ingest, const service::EventLog& log,
             WorkerRoutes& workers, const RelayMetrics& metrics, const BusStats* bus)
      : config_(config),
        relay_(relay),
        ingest_(ingest),
        log_(log),
        workers_(workers),
        metrics_(metrics),
        bus_(bus) {}

  /// The answer to a GET, HEAD or OPTIONS of `path`; nullopt for other requests. `client`
  /// empty: the relay's own demo, which reads without a token.
  std::optional<Response> handle(const Request& req, std::string_view path,
                                 std::string_view client);

 private:
  /// GET /api/workers[/id] for whoever the request's token says (401 without a valid one).
  Response read_workers(const Request& req, std::string_view worker_id, std::string_view client);
  /// /readyz: 503 while draining or while the event log is not ready.
  [[nodiscard]] Response readiness(const Request& req) const;

  const HttpConfig& config_;
  const service::SseEventRelay& relay_;
  const service::EventIngest& ingest_;
  const service::EventLog& log_;
  WorkerRoutes& workers_;
  const RelayMetrics& metrics_;
  const BusStats* bus_;  ///< The Redis bus's figures; null on the memory log.
};

}  // namespace relay::infra
