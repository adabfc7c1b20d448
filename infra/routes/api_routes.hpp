#pragma once
// The request/response routes (everything except the SSE stream itself). Ingest awaits the
// event log's answer, so handle() is a coroutine.
#include <string>
#include <variant>

#include <boost/asio/awaitable.hpp>

#include "infra/config/app_config.hpp"
#include "infra/http/http_types.hpp"
#include "infra/telemetry/prometheus_metrics.hpp"
#include "infra/routes/worker_routes.hpp"
#include "service/event_ingest.hpp"
#include "service/event_log.hpp"
#include "service/telemetry/logger.hpp"
#include "service/publish_rate.hpp"
#include "service/sse_event_relay.hpp"
#include "service/worker_projection.hpp"

namespace relay::infra {

/// Paths of the HTTP contract (DESIGN 4).
namespace route {
inline constexpr std::string_view stream = "/api/events/stream";
inline constexpr std::string_view publish = "/api/events";
inline constexpr std::string_view stats = "/api/events/stats";
inline constexpr std::string_view metrics = "/metrics";
inline constexpr std::string_view healthz = "/healthz";
inline constexpr std::string_view readyz = "/readyz";
inline constexpr std::string_view domain_events = "/api/domain-events";
inline constexpr std::string_view workers = "/api/workers";
inline constexpr std::string_view worker_prefix = "/api/workers/";
}  // namespace route

/// The path of a request target, without its query.
std::string_view target_path(std::string_view target);

class ApiRoutes {
 public:
  /// `spans`: the span processor for /metrics, null when tracing is off.
  ApiRoutes(const HttpConfig& config, service::SseEventRelay& relay, service::EventIngest& ingest,
            const service::WorkerProjection& projection, const service::EventLog& log,
            service::Tracer& tracer, service::Logger& logger,
            const service::BatchSpanProcessor* spans, std::string_view version,
            const BusStats* bus = nullptr)
      : config_(config),
        relay_(relay),
        ingest_(ingest),
        log_(log),
        bus_(bus),
        tracer_(tracer),
        logger_(logger),
        publish_rate_(config.publish_rate, config.publish_burst),
        workers_(ingest, projection, config.max_read_model_bytes),
        metrics_(relay, ingest, projection, tracer, logger, spans, version, bus) {}

  /// Answers one request from `client` (its address; empty for the relay's own demo
  /// producer, which no publish rate applies to). CORS headers are added here for every route.
  boost::asio::awaitable<Response> handle(const Request& req, std::string_view client = {});

  /// False while the event log's state is being (re)built: streams are refused meanwhile.
  [[nodiscard]] bool log_positioned() const { return log_.health().positioned; }
  [[nodiscard]] const service::EventLog& event_log() const { return log_; }

  /// 401 problem unless the request's Bearer token is RELAY_PUBLISH_TOKEN (compared in the
  /// same time wherever the first difference is) or a JWT with the publish scope; 403 for a
  /// valid JWT without it. Nothing is asked when neither is configured.
  [[nodiscard]] std::optional<Response> check_publisher(const Request& req) const;

  /// The producer a request is counted as for RELAY_PUBLISH_RATE, or the refusal of
  /// check_publisher. Only a verified identity names a producer (the static token, a publish
  /// JWT's `sub`); anything else is its address `client`, so a made-up Authorization header
  /// cannot open a fresh bucket per request.
  [[nodiscard]] std::variant<std::string, Response> identify_publisher(const Request& req,
                                                                       std::string_view client) const;

 private:
  boost::asio::awaitable<Response> dispatch(const Request& req, std::string_view client);
  /// 429 when `producer` (from identify_publisher) is over RELAY_PUBLISH_RATE.
  std::optional<Response> admit(const Request& req, const std::string& producer,
                                std::size_t events);
  /// GET and OPTIONS routes, which answer at once; nullopt for other requests. `client`
  /// empty: the relay's own demo, which reads without a token.
  std::optional<Response> read(const Request& req, std::string_view path, std::string_view client);
  /// GET /api/workers[/id] for whoever the request's token says (401 without a valid one).
  Response read_workers(const Request& req, std::string_view worker_id, std::string_view client);
  /// /readyz: 503 while draining or while the event log is not ready.
  [[nodiscard]] Response readiness(const Request& req) const;
  /// POST /api/domain-events and /api/events inside their SERVER span; logs the answer.
  boost::asio::awaitable<Response> ingest(const Request& req, std::string_view route,
                                          std::string_view client);
  /// `context`: what the fold continues (the ingest span, or the producer's context).
  boost::asio::awaitable<Response> publish(const Request& req, service::IngestContext context,
                                           const std::string& producer);

  const HttpConfig& config_;
  service::SseEventRelay& relay_;
  service::EventIngest& ingest_;
  const service::EventLog& log_;
  const BusStats* bus_;  ///< The Redis bus's figures; null on the memory log.
  service::Tracer& tracer_;
  service::Logger& logger_;
  service::PublishRate publish_rate_;
  WorkerRoutes workers_;
  RelayMetrics metrics_;
};

}  // namespace relay::infra
