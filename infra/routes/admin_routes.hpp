#pragma once
// The operators' routes (DESIGN 8): list the open streams, close one by client id, revoke
// every stream of a token subject; and, on the admin listener, /metrics and
// /api/events/stats. Where they are served:
//   RELAY_ADMIN_PORT set:   all of them on that listener (behind RELAY_ADMIN_TOKEN when set);
//                           the public port answers 404 for every one.
//   RELAY_ADMIN_PORT unset: /metrics and the stats stay public as before; /api/admin/* only
//                           with RELAY_ADMIN_TOKEN configured (404 without: no open door).
// Each action is counted (sse_relay_admin_*) and logged with who asked.
#include <optional>
#include <string_view>

#include "infra/config/app_config.hpp"
#include "infra/http/http_types.hpp"
#include "infra/redis/bus_stats.hpp"
#include "infra/telemetry/prometheus_metrics.hpp"
#include "service/event_ingest.hpp"
#include "service/sse_event_relay.hpp"
#include "service/telemetry/logger.hpp"

namespace relay::infra {

namespace route {
inline constexpr std::string_view admin_streams = "/api/admin/streams";
inline constexpr std::string_view admin_stream_prefix = "/api/admin/streams/";
}  // namespace route

/// Which listener a request came in on.
enum class Listener { public_api, admin };

class AdminRoutes {
 public:
  AdminRoutes(const AdminConfig& config, service::SseEventRelay& relay,
              const service::EventIngest& ingest, const BusStats* bus, RelayMetrics& metrics,
              service::Logger& logger)
      : config_(config), relay_(relay), ingest_(ingest), bus_(bus), metrics_(metrics),
        logger_(logger) {}

  /// The answer when `path` is an operator's route on `listener`, nullopt when it is not one
  /// there (the caller goes on with its own routes; for the admin listener that means 404).
  std::optional<Response> handle(const Request& req, std::string_view path,
                                 std::string_view client, Listener listener);

  /// True when /metrics and /api/events/stats are served on the public port.
  [[nodiscard]] bool stats_public() const { return !config_.own_listener(); }

 private:
  Response list_streams(const Request& req) const;
  Response close_stream(const Request& req, std::string_view client_id, std::string_view client);
  Response revoke_subject(const Request& req, std::string_view subject, std::string_view client);

  const AdminConfig& config_;
  service::SseEventRelay& relay_;
  const service::EventIngest& ingest_;
  const BusStats* bus_;
  RelayMetrics& metrics_;
  service::Logger& logger_;
};

}  // namespace relay::infra
