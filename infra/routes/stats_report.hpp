#pragma once
// Renders the relay's counters as JSON for /api/events/stats (/metrics: prometheus_metrics).
#include <string>

#include "service/event_ingest.hpp"
#include "infra/redis/bus_stats.hpp"
#include "service/sse_event_relay.hpp"

namespace relay::infra {

/// {"instance_id","clients","events_published" (appended here),"events_broadcast" (folded into
///  a frame),"events_silent","fold_rejected","deliveries",
///  "evictions":{reason:n,...,"total"},"log":{...},"per_type":{type:{"published"}},...}
/// With `bus` (RELAY_BUS=redis://): "bus":{"appends","append_groups","append_failures","reconnects",
/// "epoch_changes","gaps","snapshots_written","carried","undecodable","lag_entries","lag_ms"}.
std::string stats_json(const service::SseEventRelay& relay, const service::EventIngest& ingest,
                       const BusStats* bus = nullptr);

}  // namespace relay::infra
