#pragma once
// The router of the request/response API (everything except the SSE stream itself): POSTs
// to PublishRoutes, GET/HEAD/OPTIONS to ReadRoutes, 405 and 404 for the rest; CORS and HEAD
// applied to every answer. It builds the parts both sides share (the read model's cache,
// the metrics, who may publish).
#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "infra/auth/publisher_auth.hpp"
#include "infra/config/app_config.hpp"
#include "infra/routes/admin_routes.hpp"
#include "infra/http/http_types.hpp"
#include "infra/routes/publish_routes.hpp"
#include "infra/routes/read_routes.hpp"
#include "infra/routes/route_table.hpp"
#include "infra/routes/worker_routes.hpp"
#include "infra/telemetry/prometheus_metrics.hpp"
#include "service/event_ingest.hpp"
#include "service/event_log.hpp"
#include "service/sse_event_relay.hpp"
#include "service/telemetry/logger.hpp"
#include "service/worker_projection.hpp"

namespace relay::infra {

class ApiRoutes {
 public:
  /// `spans`: the span processor for /metrics, null when tracing is off.
  ApiRoutes(const HttpConfig& config, service::SseEventRelay& relay, service::EventIngest& ingest,
            const service::WorkerProjection& projection, const service::EventLog& log,
            service::Tracer& tracer, service::Logger& logger,
            const service::BatchSpanProcessor* spans, BuildInfo build,
            const BusStats* bus = nullptr)
      : config_(config),
        log_(log),
        publisher_auth_(config, relay.clock()),
        workers_(projection, config.max_read_model_bytes),
        metrics_(relay, ingest, projection, tracer, logger, spans, build, log, bus),
        admin_(config.admin, relay, ingest, bus, metrics_, logger),
        publish_(config, ingest, publisher_auth_, metrics_, tracer, logger),
        read_(config, relay, ingest, log, workers_, metrics_, bus) {}

  /// Answers one request from `client` (its address; empty for the relay's own demo
  /// producer, which no publish rate applies to) that came in on `listener`. CORS headers
  /// are added here for every route of the public port.
  boost::asio::awaitable<Response> handle(const Request& req, std::string_view client = {},
                                          Listener listener = Listener::public_api);

  /// False while the event log's state is being (re)built: streams are refused meanwhile.
  [[nodiscard]] bool log_positioned() const { return log_.health().positioned; }
  [[nodiscard]] const service::EventLog& event_log() const { return log_; }

  /// Who may publish: the HTTP server asks before reading a POST's body.
  [[nodiscard]] const PublisherAuth& publisher_auth() const { return publisher_auth_; }

 private:
  boost::asio::awaitable<Response> dispatch(const Request& req, std::string_view client,
                                            Listener listener);

  const HttpConfig& config_;
  const service::EventLog& log_;
  PublisherAuth publisher_auth_;
  WorkerRoutes workers_;
  RelayMetrics metrics_;
  AdminRoutes admin_;
  PublishRoutes publish_;
  ReadRoutes read_;
};

}  // namespace relay::infra
