#pragma once
// Renders the relay's counters as JSON for /api/events/stats (/metrics: prometheus_metrics).
#include <string>

#include "service/sse_event_relay.hpp"

namespace relay::infra {

/// {"instance_id","clients","events_published","events_broadcast","deliveries",
///  "evictions":{reason:n,...,"total"},"log":{...},"per_type":{type:{"published"}},...}
std::string stats_json(const service::SseEventRelay& relay);

}  // namespace relay::infra
