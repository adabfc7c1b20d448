#pragma once
// The composition root (DESIGN 2, STYLE 12): every part of the process built and wired in
// dependency order. `main` runs it under a ServiceHost; the in-process tests build the very
// same thing, so what they test is what ships.
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "infra/routes/api_routes.hpp"
#include "infra/config/app_config.hpp"
#include "infra/demo/demo_fleet.hpp"
#include "infra/http/http_server.hpp"
#include "infra/auth/jwks_watcher.hpp"
#include "infra/memory_log/memory_event_log.hpp"
#include "infra/redis/redis_event_log.hpp"
#include "infra/telemetry/tracing_pipeline.hpp"
#include "service/clock.hpp"
#include "service/event_ingest.hpp"
#include "service/hosted_service.hpp"
#include "service/telemetry/logger.hpp"
#include "service/sse_event_relay.hpp"
#include "service/worker_projection.hpp"

namespace relay::infra {

class Application {
 public:
  /// Builds everything; a config without an instance id gets a random one here (the one
  /// place it is named: `connected`, /metrics and the span resource all use it).
  Application(boost::asio::io_context& io, AppConfig config, const service::Clock& clock,
              service::Logger& logger);
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  /// The hosted services in start order (stopped in reverse): the span processor outlives
  /// the relay's stop and flushes its sse.shutdown span.
  [[nodiscard]] std::vector<service::HostedService*> services();

  [[nodiscard]] HttpServer& http() { return http_; }
  /// The operators' listener; null unless RELAY_ADMIN_PORT is set.
  [[nodiscard]] HttpServer* admin() { return admin_ ? &*admin_ : nullptr; }

  /// Logs "relay started" with the effective modes, then each configuration warning: called
  /// once every service started, so it never precedes a bind error.
  void log_started(service::Logger& logger) const;
  [[nodiscard]] service::SseEventRelay& relay() { return relay_; }
  [[nodiscard]] const service::WorkerProjection& projection() const { return projection_; }

 private:
  AppConfig config_;
  TracingPipeline tracing_;
  service::SseEventRelay relay_;
  /// The embedded log, or the Redis one (RELAY_BUS=redis://).
  std::unique_ptr<service::EventLog> log_;
  RedisEventLog* redis_ = nullptr;  ///< Set when log_ is the Redis log: a hosted service too.
  service::WorkerProjection projection_;
  service::EventIngest ingest_;
  ApiRoutes routes_;
  HttpServer http_;
  std::optional<HttpServer> admin_;  ///< With RELAY_ADMIN_PORT: the operators' own listener.
  std::optional<DemoFleet> demo_;
  std::optional<JwksWatcher> jwks_;  ///< With RELAY_JWT_JWKS_FILE: keeps its keys current.
};

}  // namespace relay::infra
