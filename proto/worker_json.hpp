#pragma once
// JSON of the worker domain: SSE payloads of notifications (DESIGN 4.2) and the read
// model's worker object W (DESIGN 4.4).
#include <string>

#include "domain/notification.hpp"
#include "domain/worker.hpp"
#include "domain/worker_events.hpp"

namespace relay::proto {

/// The notification to broadcast for `notice`: its SSE type, `data` payload, subject
/// "worker/<id>", worker id for `?worker=`, and for metrics the conflation key.
domain::Notification encode_worker_notice(const domain::WorkerNotice& notice);

/// W: {worker_id, name, region, instance_type, status, created_at, updated_at,
/// terminated_at?, metrics|null, labs, version}.
std::string encode_worker(const domain::Worker& worker);

}  // namespace relay::proto
