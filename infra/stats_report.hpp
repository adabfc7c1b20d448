#pragma once
// Renders the relay's counters: JSON for /api/events/stats, Prometheus text for /metrics.
#include <string>

#include "service/sse_event_relay.hpp"

namespace relay::infra {

/// {"instance_id","clients","events_published","events_broadcast","deliveries",
///  "evictions":{reason:n,...,"total"},"log":{...},"per_type":{type:{"published"}},...}
std::string stats_json(const service::SseEventRelay& relay);

/// Prometheus text exposition format 0.0.4 of the same counters.
std::string metrics_text(const service::SseEventRelay& relay);

}  // namespace relay::infra
