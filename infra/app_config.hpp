#pragma once
// Everything the process is configured with; filled by load_config from flags and environment.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "infra/tracing_config.hpp"
#include "service/logger.hpp"
#include "service/relay_config.hpp"

namespace relay::infra {

/// Settings of the HTTP front (routes, limits, auth, CORS).
struct HttpConfig {
  std::string host = "0.0.0.0";              ///< RELAY_HOST
  std::uint16_t port = 8080;                 ///< RELAY_PORT
  std::size_t max_body_bytes = 64UL * 1024;  ///< RELAY_MAX_BODY_BYTES: larger bodies get 413.
  std::chrono::milliseconds request_timeout{
      30000};                             ///< RELAY_REQUEST_TIMEOUT_MS: to read a request.
  std::string publish_token;              ///< RELAY_PUBLISH_TOKEN: Bearer token for POSTs.
  std::vector<std::string> cors_origins;  ///< RELAY_CORS_ORIGINS: allowed Origins, or "*".
};

struct AppConfig {
  HttpConfig http;
  service::RelayConfig relay;
  service::LogLevel log_level = service::LogLevel::info;  ///< RELAY_LOG_LEVEL
  std::string bus = "memory";                             ///< RELAY_BUS
  bool demo = false;      ///< RELAY_DEMO / --demo: run the simulated worker fleet
  TracingConfig tracing;  ///< OTEL_* variables (environment only, as the SDKs read them)
};

}  // namespace relay::infra
