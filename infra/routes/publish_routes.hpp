#pragma once
// The write side of the API (DESIGN 4.2, 4.3): POST /api/events and /api/domain-events,
// each inside its SERVER span and answered in one log line: who publishes (PublisherAuth),
// RELAY_PUBLISH_RATE, the body, the append, 202 with the ids.
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "infra/auth/publisher_auth.hpp"
#include "infra/config/app_config.hpp"
#include "infra/http/http_types.hpp"
#include "infra/telemetry/prometheus_metrics.hpp"
#include "service/event_ingest.hpp"
#include "service/publish_rate.hpp"
#include "service/telemetry/logger.hpp"
#include "service/telemetry/tracer.hpp"

namespace relay::infra {

class PublishRoutes {
 public:
  PublishRoutes(const HttpConfig& config, service::EventIngest& ingest, const PublisherAuth& auth,
                RelayMetrics& metrics, service::Tracer& tracer, service::Logger& logger)
      : config_(config),
        ingest_(ingest),
        auth_(auth),
        metrics_(metrics),
        tracer_(tracer),
        logger_(logger),
        publish_rate_(config.publish_rate, config.publish_burst) {}

  /// A POST to `route` (route::publish or route::domain_events) from `client`; empty: the
  /// relay's own demo producer, which needs no token and has no rate.
  boost::asio::awaitable<Response> handle(const Request& req, std::string_view route,
                                          std::string_view client);

 private:
  /// 429 when `producer` (from PublisherAuth::identify) is over RELAY_PUBLISH_RATE.
  std::optional<Response> admit(const Request& req, const std::string& producer,
                                std::size_t events);
  /// POST /api/events. `context`: what the fold continues (the ingest span, or the
  /// producer's context).
  boost::asio::awaitable<Response> publish(const Request& req, service::IngestContext context,
                                           const std::string& producer);

  const HttpConfig& config_;
  service::EventIngest& ingest_;
  const PublisherAuth& auth_;
  RelayMetrics& metrics_;
  service::Tracer& tracer_;
  service::Logger& logger_;
  service::PublishRate publish_rate_;
};

}  // namespace relay::infra
