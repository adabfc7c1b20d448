#pragma once
// Everything the process is configured with; filled by load_config from flags and environment.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/worker_registry.hpp"
#include "infra/http/client_address.hpp"
#include "infra/redis/redis_bus_config.hpp"
#include "infra/http/request_framing.hpp"
#include "infra/auth/subscriber_auth.hpp"
#include "infra/telemetry/tracing_config.hpp"
#include "service/telemetry/logger.hpp"
#include "service/relay_config.hpp"

namespace relay::infra {

/// The operators' routes (DESIGN 8): /metrics, /api/events/stats and /api/admin/*.
struct AdminConfig {
  /// RELAY_ADMIN_PORT: set, those routes move to a listener of their own (0 picks a free
  /// port); unset, they stay on the public port.
  std::optional<std::uint16_t> port;
  std::string host = "127.0.0.1";  ///< RELAY_ADMIN_HOST: loopback unless an operator says so.
  /// RELAY_ADMIN_TOKEN: Bearer token the admin routes (and the whole admin listener) require.
  /// Unset: the admin routes are not served on the public port at all (404).
  std::string token;

  [[nodiscard]] bool own_listener() const { return port.has_value(); }
};

/// Settings of the HTTP front (routes, limits, auth, CORS).
struct HttpConfig {
  std::string host = "0.0.0.0";              ///< RELAY_HOST
  std::uint16_t port = 8080;                 ///< RELAY_PORT
  std::size_t max_body_bytes = 64UL * 1024;  ///< RELAY_MAX_BODY_BYTES: larger bodies get 413.
  /// RELAY_REQUEST_TIMEOUT_MS: from a request's first byte to its last (head and body).
  std::chrono::milliseconds request_timeout{30000};
  /// RELAY_IDLE_TIMEOUT_MS: how long a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60000};
  /// RELAY_MAX_HEADER_BYTES: largest request head; larger is 431.
  std::size_t max_header_bytes = default_max_header_bytes;
  /// RELAY_MAX_READ_MODEL_BYTES: bytes that serialised read-model answers not yet read by
  /// their clients may hold in total; past it a list request gets 503 + Retry-After.
  std::size_t max_read_model_bytes = std::size_t{64} * 1024 * 1024;
  /// RELAY_MAX_CLIENTS_PER_IP: streams one client address may hold; 0 = no limit (the
  /// default: behind a balancer every client has the balancer's address).
  std::size_t max_clients_per_ip = 0;
  /// RELAY_PUBLISH_RATE: events per second per producer (token, else address); 0 = no limit.
  double publish_rate = 0;
  /// RELAY_PUBLISH_BURST: events a producer may send at once; 0 = one second's worth.
  double publish_burst = 0;
  /// RELAY_TRUSTED_PROXIES: peers whose X-Forwarded-For / Forwarded name the client.
  TrustedProxies trusted_proxies;
  std::string publish_token;              ///< RELAY_PUBLISH_TOKEN: Bearer token for POSTs.
  std::vector<std::string> cors_origins;  ///< RELAY_CORS_ORIGINS: allowed Origins, or "*".
  /// RELAY_JWT_*: subscriber (and producer) tokens; verifier null when none is configured.
  SubscriberAuthConfig auth;
  JwtSettings jwt;  ///< As configured; load_config builds auth.verifier from it.
  AdminConfig admin;  ///< RELAY_ADMIN_*: where the operators' routes are served.
};

struct AppConfig {
  HttpConfig http;
  service::RelayConfig relay;
  domain::RegistryLimits read_model;  ///< RELAY_MAX_WORKERS, RELAY_TERMINATED_RETENTION_MS
  service::LogLevel log_level = service::LogLevel::info;  ///< RELAY_LOG_LEVEL
  std::string bus = "memory";                             ///< RELAY_BUS, as given
  bool redis_bus = false;  ///< RELAY_BUS=redis://...: the shared log; false: the embedded one
  /// The Redis bus: the URL's address and the RELAY_BUS_* settings. Their defaults live in
  /// RedisBusConfig only (--help prints them from there).
  RedisBusConfig redis;
  bool demo = false;      ///< RELAY_DEMO / --demo: run the simulated worker fleet
  TracingConfig tracing;  ///< OTEL_* variables (environment only, as the SDKs read them)
};

}  // namespace relay::infra
